(define (problem plan_trial_tcod_0002)
    (:domain alfred)
    (:objects
        agent1 - agent
        AlarmClock_bar_49 - object
        DeskLamp_bar_48 - object
        Book_bar_47 - object
        CellPhone_bar_46 - object
        Pen_bar_45 - object
        CD_bar_44 - object
        Pillow_bar_43 - object
        KeyChain_bar_42 - object
        Bed_bar_99 - receptacle
        Desk_bar_98 - receptacle
        SideTable_bar_97 - receptacle
        SideTable_bar_96 - receptacle
        Drawer_bar_95 - receptacle
        Drawer_bar_94 - receptacle
        Drawer_bar_93 - receptacle
        Drawer_bar_92 - receptacle
        Dresser_bar_91 - receptacle
        Shelf_bar_90 - receptacle
        Shelf_bar_89 - receptacle
        GarbageCan_bar_88 - receptacle
        Safe_bar_87 - receptacle
        loc_bar_0 - location
        loc_bar_1 - location
        loc_bar_2 - location
        loc_bar_3 - location
        loc_bar_4 - location
        loc_bar_5 - location
        loc_bar_6 - location
        loc_bar_7 - location
        loc_bar_8 - location
        loc_bar_9 - location
        loc_bar_10 - location
        loc_bar_11 - location
        loc_bar_12 - location
        loc_bar_13 - location
        AlarmClockType - otype
        BookType - otype
        ButterKnifeType - otype
        CDType - otype
        CellPhoneType - otype
        DeskLampType - otype
        KeyChainType - otype
        KnifeType - otype
        PenType - otype
        PillowType - otype
        BedType - rtype
        DeskType - rtype
        DrawerType - rtype
        DresserType - rtype
        FridgeType - rtype
        GarbageCanType - rtype
        MicrowaveType - rtype
        SafeType - rtype
        ShelfType - rtype
        SideTableType - rtype
        SinkBasinType - rtype
    )
    (:init
        (atLocation agent1 loc_bar_0)
        (receptacleType Bed_bar_99 BedType)
        (receptacleAtLocation Bed_bar_99 loc_bar_1)
        (receptacleType Desk_bar_98 DeskType)
        (receptacleAtLocation Desk_bar_98 loc_bar_2)
        (receptacleType SideTable_bar_97 SideTableType)
        (receptacleAtLocation SideTable_bar_97 loc_bar_3)
        (receptacleType SideTable_bar_96 SideTableType)
        (receptacleAtLocation SideTable_bar_96 loc_bar_4)
        (receptacleType Drawer_bar_95 DrawerType)
        (receptacleAtLocation Drawer_bar_95 loc_bar_5)
        (openable Drawer_bar_95)
        (receptacleType Drawer_bar_94 DrawerType)
        (receptacleAtLocation Drawer_bar_94 loc_bar_6)
        (openable Drawer_bar_94)
        (receptacleType Drawer_bar_93 DrawerType)
        (receptacleAtLocation Drawer_bar_93 loc_bar_7)
        (openable Drawer_bar_93)
        (receptacleType Drawer_bar_92 DrawerType)
        (receptacleAtLocation Drawer_bar_92 loc_bar_8)
        (openable Drawer_bar_92)
        (receptacleType Dresser_bar_91 DresserType)
        (receptacleAtLocation Dresser_bar_91 loc_bar_9)
        (receptacleType Shelf_bar_90 ShelfType)
        (receptacleAtLocation Shelf_bar_90 loc_bar_10)
        (receptacleType Shelf_bar_89 ShelfType)
        (receptacleAtLocation Shelf_bar_89 loc_bar_11)
        (receptacleType GarbageCan_bar_88 GarbageCanType)
        (receptacleAtLocation GarbageCan_bar_88 loc_bar_12)
        (receptacleType Safe_bar_87 SafeType)
        (receptacleAtLocation Safe_bar_87 loc_bar_13)
        (openable Safe_bar_87)
        (objectType AlarmClock_bar_49 AlarmClockType)
        (inReceptacle AlarmClock_bar_49 Shelf_bar_89)
        (objectAtLocation AlarmClock_bar_49 loc_bar_11)
        (pickupable AlarmClock_bar_49)
        (objectType DeskLamp_bar_48 DeskLampType)
        (inReceptacle DeskLamp_bar_48 SideTable_bar_97)
        (objectAtLocation DeskLamp_bar_48 loc_bar_3)
        (toggleable DeskLamp_bar_48)
        (objectType Book_bar_47 BookType)
        (inReceptacle Book_bar_47 Bed_bar_99)
        (objectAtLocation Book_bar_47 loc_bar_1)
        (pickupable Book_bar_47)
        (objectType CellPhone_bar_46 CellPhoneType)
        (inReceptacle CellPhone_bar_46 Desk_bar_98)
        (objectAtLocation CellPhone_bar_46 loc_bar_2)
        (pickupable CellPhone_bar_46)
        (objectType Pen_bar_45 PenType)
        (inReceptacle Pen_bar_45 Drawer_bar_95)
        (objectAtLocation Pen_bar_45 loc_bar_5)
        (pickupable Pen_bar_45)
        (objectType CD_bar_44 CDType)
        (inReceptacle CD_bar_44 Desk_bar_98)
        (objectAtLocation CD_bar_44 loc_bar_2)
        (pickupable CD_bar_44)
        (objectType Pillow_bar_43 PillowType)
        (inReceptacle Pillow_bar_43 Bed_bar_99)
        (objectAtLocation Pillow_bar_43 loc_bar_1)
        (pickupable Pillow_bar_43)
        (objectType KeyChain_bar_42 KeyChainType)
        (inReceptacle KeyChain_bar_42 Drawer_bar_93)
        (objectAtLocation KeyChain_bar_42 loc_bar_7)
        (pickupable KeyChain_bar_42)
        (canContain BedType BookType)
        (canContain BedType CellPhoneType)
        (canContain BedType PillowType)
        (canContain DeskType AlarmClockType)
        (canContain DeskType BookType)
        (canContain DeskType CDType)
        (canContain DeskType CellPhoneType)
        (canContain DeskType KeyChainType)
        (canContain DeskType PenType)
        (canContain DrawerType BookType)
        (canContain DrawerType ButterKnifeType)
        (canContain DrawerType CDType)
        (canContain DrawerType CellPhoneType)
        (canContain DrawerType KeyChainType)
        (canContain DrawerType KnifeType)
        (canContain DrawerType PenType)
        (canContain DresserType AlarmClockType)
        (canContain DresserType BookType)
        (canContain DresserType CDType)
        (canContain DresserType CellPhoneType)
        (canContain DresserType KeyChainType)
        (canContain DresserType PenType)
        (canContain GarbageCanType CDType)
        (canContain GarbageCanType PenType)
        (canContain SafeType CDType)
        (canContain SafeType CellPhoneType)
        (canContain SafeType KeyChainType)
        (canContain ShelfType AlarmClockType)
        (canContain ShelfType BookType)
        (canContain ShelfType CDType)
        (canContain ShelfType CellPhoneType)
        (canContain ShelfType KeyChainType)
        (canContain ShelfType PenType)
        (canContain SideTableType AlarmClockType)
        (canContain SideTableType BookType)
        (canContain SideTableType ButterKnifeType)
        (canContain SideTableType CDType)
        (canContain SideTableType CellPhoneType)
        (canContain SideTableType KeyChainType)
        (canContain SideTableType KnifeType)
        (canContain SideTableType PenType)
        (canContain SinkBasinType ButterKnifeType)
        (canContain SinkBasinType KnifeType)
    )
        (:goal
             (and
                 (exists (?ot - object
                          ?r - receptacle
                          ?a - agent
                          ?l - location)
                     (and
                         (objectType ?ot DeskLampType)
                         (toggleable ?ot)
                         (isToggled ?ot)
                         (receptacleAtLocation ?r ?l)
                         (atLocation ?a ?l)
                         (inReceptacle ?ot ?r)
                     )
                 )
                 (exists (?o - object
                          ?a - agent)
                     (and
                         (objectType ?o AlarmClockType)
                         (holds ?a ?o)
                     )
                 )
             )
        )
    )
    
