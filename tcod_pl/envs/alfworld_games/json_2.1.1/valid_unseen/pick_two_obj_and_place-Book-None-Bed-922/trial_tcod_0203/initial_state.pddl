(define (problem plan_trial_tcod_0203)
    (:domain alfred)
    (:objects
        agent1 - agent
        Book_bar_49 - object
        Book_bar_48 - object
        Laptop_bar_47 - object
        Pen_bar_46 - object
        CellPhone_bar_45 - object
        AlarmClock_bar_44 - object
        Pillow_bar_43 - object
        CD_bar_42 - object
        Bed_bar_99 - receptacle
        Desk_bar_98 - receptacle
        SideTable_bar_97 - receptacle
        Drawer_bar_96 - receptacle
        Drawer_bar_95 - receptacle
        Drawer_bar_94 - receptacle
        Dresser_bar_93 - receptacle
        Shelf_bar_92 - receptacle
        GarbageCan_bar_91 - receptacle
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
        AlarmClockType - otype
        BookType - otype
        ButterKnifeType - otype
        CDType - otype
        CellPhoneType - otype
        KnifeType - otype
        LaptopType - otype
        PenType - otype
        PillowType - otype
        BedType - rtype
        DeskType - rtype
        DrawerType - rtype
        DresserType - rtype
        FridgeType - rtype
        GarbageCanType - rtype
        MicrowaveType - rtype
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
        (receptacleType Drawer_bar_96 DrawerType)
        (receptacleAtLocation Drawer_bar_96 loc_bar_4)
        (openable Drawer_bar_96)
        (receptacleType Drawer_bar_95 DrawerType)
        (receptacleAtLocation Drawer_bar_95 loc_bar_5)
        (openable Drawer_bar_95)
        (receptacleType Drawer_bar_94 DrawerType)
        (receptacleAtLocation Drawer_bar_94 loc_bar_6)
        (openable Drawer_bar_94)
        (receptacleType Dresser_bar_93 DresserType)
        (receptacleAtLocation Dresser_bar_93 loc_bar_7)
        (receptacleType Shelf_bar_92 ShelfType)
        (receptacleAtLocation Shelf_bar_92 loc_bar_8)
        (receptacleType GarbageCan_bar_91 GarbageCanType)
        (receptacleAtLocation GarbageCan_bar_91 loc_bar_9)
        (objectType Book_bar_49 BookType)
        (inReceptacle Book_bar_49 Shelf_bar_92)
        (objectAtLocation Book_bar_49 loc_bar_8)
        (pickupable Book_bar_49)
        (objectType Book_bar_48 BookType)
        (inReceptacle Book_bar_48 Shelf_bar_92)
        (objectAtLocation Book_bar_48 loc_bar_8)
        (pickupable Book_bar_48)
        (objectType Laptop_bar_47 LaptopType)
        (inReceptacle Laptop_bar_47 Desk_bar_98)
        (objectAtLocation Laptop_bar_47 loc_bar_2)
        (pickupable Laptop_bar_47)
        (objectType Pen_bar_46 PenType)
        (inReceptacle Pen_bar_46 Drawer_bar_96)
        (objectAtLocation Pen_bar_46 loc_bar_4)
        (pickupable Pen_bar_46)
        (objectType CellPhone_bar_45 CellPhoneType)
        (inReceptacle CellPhone_bar_45 SideTable_bar_97)
        (objectAtLocation CellPhone_bar_45 loc_bar_3)
        (pickupable CellPhone_bar_45)
        (objectType AlarmClock_bar_44 AlarmClockType)
        (inReceptacle AlarmClock_bar_44 Dresser_bar_93)
        (objectAtLocation AlarmClock_bar_44 loc_bar_7)
        (pickupable AlarmClock_bar_44)
        (objectType Pillow_bar_43 PillowType)
        (inReceptacle Pillow_bar_43 Bed_bar_99)
        (objectAtLocation Pillow_bar_43 loc_bar_1)
        (pickupable Pillow_bar_43)
        (objectType CD_bar_42 CDType)
        (inReceptacle CD_bar_42 Drawer_bar_94)
        (objectAtLocation CD_bar_42 loc_bar_6)
        (pickupable CD_bar_42)
        (canContain BedType BookType)
        (canContain BedType CellPhoneType)
        (canContain BedType LaptopType)
        (canContain BedType PillowType)
        (canContain DeskType AlarmClockType)
        (canContain DeskType BookType)
        (canContain DeskType CDType)
        (canContain DeskType CellPhoneType)
        (canContain DeskType LaptopType)
        (canContain DeskType PenType)
        (canContain DrawerType BookType)
        (canContain DrawerType ButterKnifeType)
        (canContain DrawerType CDType)
        (canContain DrawerType CellPhoneType)
        (canContain DrawerType KnifeType)
        (canContain DrawerType PenType)
        (canContain DresserType AlarmClockType)
        (canContain DresserType BookType)
        (canContain DresserType CDType)
        (canContain DresserType CellPhoneType)
        (canContain DresserType LaptopType)
        (canContain DresserType PenType)
        (canContain GarbageCanType CDType)
        (canContain GarbageCanType PenType)
        (canContain ShelfType AlarmClockType)
        (canContain ShelfType BookType)
        (canContain ShelfType CDType)
        (canContain ShelfType CellPhoneType)
        (canContain ShelfType PenType)
        (canContain SideTableType AlarmClockType)
        (canContain SideTableType BookType)
        (canContain SideTableType ButterKnifeType)
        (canContain SideTableType CDType)
        (canContain SideTableType CellPhoneType)
        (canContain SideTableType KnifeType)
        (canContain SideTableType LaptopType)
        (canContain SideTableType PenType)
        (canContain SinkBasinType ButterKnifeType)
        (canContain SinkBasinType KnifeType)
    )
                (:goal
                    (and
                        (exists (?r - receptacle)
                            (exists (?o1 - object)
                                (and
                                    (objectType ?o1 BookType)
                                    (receptacleType ?r BedType)
                                    (inReceptacle ?o1 ?r)
                                    (exists (?o2 - object)
                                        (and
                                            (not (= ?o1 ?o2))
                                            (objectType ?o2 BookType)
                                            (receptacleType ?r BedType)
                                            (inReceptacle ?o2 ?r)
                                        )
                                    )
                                )
                            )
                        )
                    )
                )
            )
            
