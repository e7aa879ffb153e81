(define (problem plan_trial_tcod_0103)
    (:domain alfred)
    (:objects
        agent1 - agent
        Statue_bar_49 - object
        DeskLamp_bar_48 - object
        Vase_bar_47 - object
        KeyChain_bar_46 - object
        RemoteControl_bar_45 - object
        Book_bar_44 - object
        Newspaper_bar_43 - object
        CreditCard_bar_42 - object
        Sofa_bar_99 - receptacle
        ArmChair_bar_98 - receptacle
        CoffeeTable_bar_97 - receptacle
        SideTable_bar_96 - receptacle
        SideTable_bar_95 - receptacle
        Drawer_bar_94 - receptacle
        Drawer_bar_93 - receptacle
        Drawer_bar_92 - receptacle
        Dresser_bar_91 - receptacle
        GarbageCan_bar_90 - receptacle
        Shelf_bar_89 - receptacle
        Shelf_bar_88 - receptacle
        TVStand_bar_87 - receptacle
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
        BookType - otype
        ButterKnifeType - otype
        CreditCardType - otype
        DeskLampType - otype
        KeyChainType - otype
        KnifeType - otype
        NewspaperType - otype
        RemoteControlType - otype
        StatueType - otype
        VaseType - otype
        ArmChairType - rtype
        CoffeeTableType - rtype
        DrawerType - rtype
        DresserType - rtype
        FridgeType - rtype
        GarbageCanType - rtype
        MicrowaveType - rtype
        ShelfType - rtype
        SideTableType - rtype
        SinkBasinType - rtype
        SofaType - rtype
        TVStandType - rtype
    )
    (:init
        (atLocation agent1 loc_bar_0)
        (receptacleType Sofa_bar_99 SofaType)
        (receptacleAtLocation Sofa_bar_99 loc_bar_1)
        (receptacleType ArmChair_bar_98 ArmChairType)
        (receptacleAtLocation ArmChair_bar_98 loc_bar_2)
        (receptacleType CoffeeTable_bar_97 CoffeeTableType)
        (receptacleAtLocation CoffeeTable_bar_97 loc_bar_3)
        (receptacleType SideTable_bar_96 SideTableType)
        (receptacleAtLocation SideTable_bar_96 loc_bar_4)
        (receptacleType SideTable_bar_95 SideTableType)
        (receptacleAtLocation SideTable_bar_95 loc_bar_5)
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
        (receptacleType GarbageCan_bar_90 GarbageCanType)
        (receptacleAtLocation GarbageCan_bar_90 loc_bar_10)
        (receptacleType Shelf_bar_89 ShelfType)
        (receptacleAtLocation Shelf_bar_89 loc_bar_11)
        (receptacleType Shelf_bar_88 ShelfType)
        (receptacleAtLocation Shelf_bar_88 loc_bar_12)
        (receptacleType TVStand_bar_87 TVStandType)
        (receptacleAtLocation TVStand_bar_87 loc_bar_13)
        (objectType Statue_bar_49 StatueType)
        (inReceptacle Statue_bar_49 Shelf_bar_89)
        (objectAtLocation Statue_bar_49 loc_bar_11)
        (pickupable Statue_bar_49)
        (objectType DeskLamp_bar_48 DeskLampType)
        (inReceptacle DeskLamp_bar_48 SideTable_bar_95)
        (objectAtLocation DeskLamp_bar_48 loc_bar_5)
        (toggleable DeskLamp_bar_48)
        (objectType Vase_bar_47 VaseType)
        (inReceptacle Vase_bar_47 Shelf_bar_88)
        (objectAtLocation Vase_bar_47 loc_bar_12)
        (pickupable Vase_bar_47)
        (objectType KeyChain_bar_46 KeyChainType)
        (inReceptacle KeyChain_bar_46 Drawer_bar_93)
        (objectAtLocation KeyChain_bar_46 loc_bar_7)
        (pickupable KeyChain_bar_46)
        (objectType RemoteControl_bar_45 RemoteControlType)
        (inReceptacle RemoteControl_bar_45 Sofa_bar_99)
        (objectAtLocation RemoteControl_bar_45 loc_bar_1)
        (pickupable RemoteControl_bar_45)
        (objectType Book_bar_44 BookType)
        (inReceptacle Book_bar_44 CoffeeTable_bar_97)
        (objectAtLocation Book_bar_44 loc_bar_3)
        (pickupable Book_bar_44)
        (objectType Newspaper_bar_43 NewspaperType)
        (inReceptacle Newspaper_bar_43 ArmChair_bar_98)
        (objectAtLocation Newspaper_bar_43 loc_bar_2)
        (pickupable Newspaper_bar_43)
        (objectType CreditCard_bar_42 CreditCardType)
        (inReceptacle CreditCard_bar_42 Dresser_bar_91)
        (objectAtLocation CreditCard_bar_42 loc_bar_9)
        (pickupable CreditCard_bar_42)
        (canContain ArmChairType BookType)
        (canContain ArmChairType CreditCardType)
        (canContain ArmChairType KeyChainType)
        (canContain ArmChairType NewspaperType)
        (canContain ArmChairType RemoteControlType)
        (canContain CoffeeTableType BookType)
        (canContain CoffeeTableType ButterKnifeType)
        (canContain CoffeeTableType CreditCardType)
        (canContain CoffeeTableType KeyChainType)
        (canContain CoffeeTableType KnifeType)
        (canContain CoffeeTableType NewspaperType)
        (canContain CoffeeTableType RemoteControlType)
        (canContain CoffeeTableType StatueType)
        (canContain CoffeeTableType VaseType)
        (canContain DrawerType BookType)
        (canContain DrawerType ButterKnifeType)
        (canContain DrawerType CreditCardType)
        (canContain DrawerType KeyChainType)
        (canContain DrawerType KnifeType)
        (canContain DrawerType NewspaperType)
        (canContain DrawerType RemoteControlType)
        (canContain DresserType BookType)
        (canContain DresserType CreditCardType)
        (canContain DresserType KeyChainType)
        (canContain DresserType NewspaperType)
        (canContain DresserType RemoteControlType)
        (canContain DresserType StatueType)
        (canContain DresserType VaseType)
        (canContain GarbageCanType NewspaperType)
        (canContain ShelfType BookType)
        (canContain ShelfType CreditCardType)
        (canContain ShelfType KeyChainType)
        (canContain ShelfType NewspaperType)
        (canContain ShelfType RemoteControlType)
        (canContain ShelfType StatueType)
        (canContain ShelfType VaseType)
        (canContain SideTableType BookType)
        (canContain SideTableType ButterKnifeType)
        (canContain SideTableType CreditCardType)
        (canContain SideTableType KeyChainType)
        (canContain SideTableType KnifeType)
        (canContain SideTableType NewspaperType)
        (canContain SideTableType RemoteControlType)
        (canContain SideTableType StatueType)
        (canContain SideTableType VaseType)
        (canContain SinkBasinType ButterKnifeType)
        (canContain SinkBasinType KnifeType)
        (canContain SofaType BookType)
        (canContain SofaType CreditCardType)
        (canContain SofaType KeyChainType)
        (canContain SofaType NewspaperType)
        (canContain SofaType RemoteControlType)
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
                         (objectType ?o StatueType)
                         (holds ?a ?o)
                     )
                 )
             )
        )
    )
    
