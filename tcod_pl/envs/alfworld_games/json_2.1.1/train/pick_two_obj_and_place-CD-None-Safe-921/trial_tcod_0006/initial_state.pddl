(define (problem plan_trial_tcod_0006)
    (:domain alfred)
    (:objects
        agent1 - agent
        CD_bar_49 - object
        CD_bar_48 - object
        Book_bar_47 - object
        Pencil_bar_46 - object
        CellPhone_bar_45 - object
        AlarmClock_bar_44 - object
        DeskLamp_bar_43 - object
        Watch_bar_42 - object
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
        KnifeType - otype
        PencilType - otype
        WatchType - otype
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
        (objectType CD_bar_49 CDType)
        (inReceptacle CD_bar_49 SideTable_bar_96)
        (objectAtLocation CD_bar_49 loc_bar_4)
        (pickupable CD_bar_49)
        (objectType CD_bar_48 CDType)
        (inReceptacle CD_bar_48 SideTable_bar_96)
        (objectAtLocation CD_bar_48 loc_bar_4)
        (pickupable CD_bar_48)
        (objectType Book_bar_47 BookType)
        (inReceptacle Book_bar_47 Desk_bar_98)
        (objectAtLocation Book_bar_47 loc_bar_2)
        (pickupable Book_bar_47)
        (objectType Pencil_bar_46 PencilType)
        (inReceptacle Pencil_bar_46 Drawer_bar_94)
        (objectAtLocation Pencil_bar_46 loc_bar_6)
        (pickupable Pencil_bar_46)
        (objectType CellPhone_bar_45 CellPhoneType)
        (inReceptacle CellPhone_bar_45 Bed_bar_99)
        (objectAtLocation CellPhone_bar_45 loc_bar_1)
        (pickupable CellPhone_bar_45)
        (objectType AlarmClock_bar_44 AlarmClockType)
        (inReceptacle AlarmClock_bar_44 Dresser_bar_91)
        (objectAtLocation AlarmClock_bar_44 loc_bar_9)
        (pickupable AlarmClock_bar_44)
        (objectType DeskLamp_bar_43 DeskLampType)
        (inReceptacle DeskLamp_bar_43 SideTable_bar_97)
        (objectAtLocation DeskLamp_bar_43 loc_bar_3)
        (toggleable DeskLamp_bar_43)
        (objectType Watch_bar_42 WatchType)
        (inReceptacle Watch_bar_42 Shelf_bar_90)
        (objectAtLocation Watch_bar_42 loc_bar_10)
        (pickupable Watch_bar_42)
        (canContain BedType BookType)
        (canContain BedType CellPhoneType)
        (canContain DeskType AlarmClockType)
        (canContain DeskType BookType)
        (canContain DeskType CDType)
        (canContain DeskType CellPhoneType)
        (canContain DeskType PencilType)
        (canContain DeskType WatchType)
        (canContain DrawerType BookType)
        (canContain DrawerType ButterKnifeType)
        (canContain DrawerType CDType)
        (canContain DrawerType CellPhoneType)
        (canContain DrawerType KnifeType)
        (canContain DrawerType PencilType)
        (canContain DrawerType WatchType)
        (canContain DresserType AlarmClockType)
        (canContain DresserType BookType)
        (canContain DresserType CDType)
        (canContain DresserType CellPhoneType)
        (canContain DresserType PencilType)
        (canContain DresserType WatchType)
        (canContain GarbageCanType CDType)
        (canContain GarbageCanType PencilType)
        (canContain SafeType CDType)
        (canContain SafeType CellPhoneType)
        (canContain SafeType WatchType)
        (canContain ShelfType AlarmClockType)
        (canContain ShelfType BookType)
        (canContain ShelfType CDType)
        (canContain ShelfType CellPhoneType)
        (canContain ShelfType PencilType)
        (canContain ShelfType WatchType)
        (canContain SideTableType AlarmClockType)
        (canContain SideTableType BookType)
        (canContain SideTableType ButterKnifeType)
        (canContain SideTableType CDType)
        (canContain SideTableType CellPhoneType)
        (canContain SideTableType KnifeType)
        (canContain SideTableType PencilType)
        (canContain SideTableType WatchType)
        (canContain SinkBasinType ButterKnifeType)
        (canContain SinkBasinType KnifeType)
    )
                (:goal
                    (and
                        (exists (?r - receptacle)
                            (exists (?o1 - object)
                                (and
                                    (objectType ?o1 CDType)
                                    (receptacleType ?r SafeType)
                                    (inReceptacle ?o1 ?r)
                                    (exists (?o2 - object)
                                        (and
                                            (not (= ?o1 ?o2))
                                            (objectType ?o2 CDType)
                                            (receptacleType ?r SafeType)
                                            (inReceptacle ?o2 ?r)
                                        )
                                    )
                                )
                            )
                        )
                    )
                )
            )
            
