(define (problem plan_trial_tcod_0101)
    (:domain alfred)
    (:objects
        agent1 - agent
        Mug_bar_49 - object
        Cup_bar_48 - object
        Apple_bar_47 - object
        Bread_bar_46 - object
        Spatula_bar_45 - object
        Pan_bar_44 - object
        Tomato_bar_43 - object
        Bowl_bar_42 - object
        CounterTop_bar_99 - receptacle
        CounterTop_bar_98 - receptacle
        Cabinet_bar_97 - receptacle
        Cabinet_bar_96 - receptacle
        Cabinet_bar_95 - receptacle
        Cabinet_bar_94 - receptacle
        Drawer_bar_93 - receptacle
        Drawer_bar_92 - receptacle
        Fridge_bar_91 - receptacle
        Microwave_bar_90 - receptacle
        Sink_bar_89_bar_SinkBasin - receptacle
        StoveBurner_bar_88 - receptacle
        StoveBurner_bar_87 - receptacle
        DiningTable_bar_86 - receptacle
        GarbageCan_bar_85 - receptacle
        CoffeeMachine_bar_84 - receptacle
        Toaster_bar_83 - receptacle
        Shelf_bar_82 - receptacle
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
        loc_bar_14 - location
        loc_bar_15 - location
        loc_bar_16 - location
        loc_bar_17 - location
        loc_bar_18 - location
        AppleType - otype
        BowlType - otype
        BreadType - otype
        ButterKnifeType - otype
        CupType - otype
        KnifeType - otype
        MugType - otype
        PanType - otype
        SpatulaType - otype
        TomatoType - otype
        CabinetType - rtype
        CoffeeMachineType - rtype
        CounterTopType - rtype
        DiningTableType - rtype
        DrawerType - rtype
        FridgeType - rtype
        GarbageCanType - rtype
        MicrowaveType - rtype
        ShelfType - rtype
        SinkBasinType - rtype
        StoveBurnerType - rtype
        ToasterType - rtype
    )
    (:init
        (atLocation agent1 loc_bar_0)
        (receptacleType CounterTop_bar_99 CounterTopType)
        (receptacleAtLocation CounterTop_bar_99 loc_bar_1)
        (receptacleType CounterTop_bar_98 CounterTopType)
        (receptacleAtLocation CounterTop_bar_98 loc_bar_2)
        (receptacleType Cabinet_bar_97 CabinetType)
        (receptacleAtLocation Cabinet_bar_97 loc_bar_3)
        (openable Cabinet_bar_97)
        (receptacleType Cabinet_bar_96 CabinetType)
        (receptacleAtLocation Cabinet_bar_96 loc_bar_4)
        (openable Cabinet_bar_96)
        (receptacleType Cabinet_bar_95 CabinetType)
        (receptacleAtLocation Cabinet_bar_95 loc_bar_5)
        (openable Cabinet_bar_95)
        (receptacleType Cabinet_bar_94 CabinetType)
        (receptacleAtLocation Cabinet_bar_94 loc_bar_6)
        (openable Cabinet_bar_94)
        (receptacleType Drawer_bar_93 DrawerType)
        (receptacleAtLocation Drawer_bar_93 loc_bar_7)
        (openable Drawer_bar_93)
        (receptacleType Drawer_bar_92 DrawerType)
        (receptacleAtLocation Drawer_bar_92 loc_bar_8)
        (openable Drawer_bar_92)
        (receptacleType Fridge_bar_91 FridgeType)
        (receptacleAtLocation Fridge_bar_91 loc_bar_9)
        (openable Fridge_bar_91)
        (receptacleType Microwave_bar_90 MicrowaveType)
        (receptacleAtLocation Microwave_bar_90 loc_bar_10)
        (openable Microwave_bar_90)
        (receptacleType Sink_bar_89_bar_SinkBasin SinkBasinType)
        (receptacleAtLocation Sink_bar_89_bar_SinkBasin loc_bar_11)
        (receptacleType StoveBurner_bar_88 StoveBurnerType)
        (receptacleAtLocation StoveBurner_bar_88 loc_bar_12)
        (receptacleType StoveBurner_bar_87 StoveBurnerType)
        (receptacleAtLocation StoveBurner_bar_87 loc_bar_13)
        (receptacleType DiningTable_bar_86 DiningTableType)
        (receptacleAtLocation DiningTable_bar_86 loc_bar_14)
        (receptacleType GarbageCan_bar_85 GarbageCanType)
        (receptacleAtLocation GarbageCan_bar_85 loc_bar_15)
        (receptacleType CoffeeMachine_bar_84 CoffeeMachineType)
        (receptacleAtLocation CoffeeMachine_bar_84 loc_bar_16)
        (receptacleType Toaster_bar_83 ToasterType)
        (receptacleAtLocation Toaster_bar_83 loc_bar_17)
        (receptacleType Shelf_bar_82 ShelfType)
        (receptacleAtLocation Shelf_bar_82 loc_bar_18)
        (objectType Mug_bar_49 MugType)
        (inReceptacle Mug_bar_49 Microwave_bar_90)
        (objectAtLocation Mug_bar_49 loc_bar_10)
        (pickupable Mug_bar_49)
        (cleanable Mug_bar_49)
        (heatable Mug_bar_49)
        (coolable Mug_bar_49)
        (isReceptacleObject Mug_bar_49)
        (objectType Cup_bar_48 CupType)
        (inReceptacle Cup_bar_48 CounterTop_bar_99)
        (objectAtLocation Cup_bar_48 loc_bar_1)
        (pickupable Cup_bar_48)
        (cleanable Cup_bar_48)
        (heatable Cup_bar_48)
        (coolable Cup_bar_48)
        (isReceptacleObject Cup_bar_48)
        (objectType Apple_bar_47 AppleType)
        (inReceptacle Apple_bar_47 DiningTable_bar_86)
        (objectAtLocation Apple_bar_47 loc_bar_14)
        (pickupable Apple_bar_47)
        (cleanable Apple_bar_47)
        (heatable Apple_bar_47)
        (coolable Apple_bar_47)
        (sliceable Apple_bar_47)
        (objectType Bread_bar_46 BreadType)
        (inReceptacle Bread_bar_46 CounterTop_bar_98)
        (objectAtLocation Bread_bar_46 loc_bar_2)
        (pickupable Bread_bar_46)
        (heatable Bread_bar_46)
        (coolable Bread_bar_46)
        (sliceable Bread_bar_46)
        (objectType Spatula_bar_45 SpatulaType)
        (inReceptacle Spatula_bar_45 Drawer_bar_92)
        (objectAtLocation Spatula_bar_45 loc_bar_8)
        (pickupable Spatula_bar_45)
        (cleanable Spatula_bar_45)
        (objectType Pan_bar_44 PanType)
        (inReceptacle Pan_bar_44 StoveBurner_bar_87)
        (objectAtLocation Pan_bar_44 loc_bar_13)
        (pickupable Pan_bar_44)
        (cleanable Pan_bar_44)
        (coolable Pan_bar_44)
        (isReceptacleObject Pan_bar_44)
        (objectType Tomato_bar_43 TomatoType)
        (inReceptacle Tomato_bar_43 Fridge_bar_91)
        (objectAtLocation Tomato_bar_43 loc_bar_9)
        (pickupable Tomato_bar_43)
        (cleanable Tomato_bar_43)
        (heatable Tomato_bar_43)
        (coolable Tomato_bar_43)
        (sliceable Tomato_bar_43)
        (objectType Bowl_bar_42 BowlType)
        (inReceptacle Bowl_bar_42 Shelf_bar_82)
        (objectAtLocation Bowl_bar_42 loc_bar_18)
        (pickupable Bowl_bar_42)
        (cleanable Bowl_bar_42)
        (coolable Bowl_bar_42)
        (isReceptacleObject Bowl_bar_42)
        (canContain CabinetType BowlType)
        (canContain CabinetType CupType)
        (canContain CabinetType MugType)
        (canContain CabinetType PanType)
        (canContain CoffeeMachineType MugType)
        (canContain CounterTopType AppleType)
        (canContain CounterTopType BowlType)
        (canContain CounterTopType BreadType)
        (canContain CounterTopType ButterKnifeType)
        (canContain CounterTopType CupType)
        (canContain CounterTopType KnifeType)
        (canContain CounterTopType MugType)
        (canContain CounterTopType PanType)
        (canContain CounterTopType SpatulaType)
        (canContain CounterTopType TomatoType)
        (canContain DiningTableType AppleType)
        (canContain DiningTableType BowlType)
        (canContain DiningTableType BreadType)
        (canContain DiningTableType ButterKnifeType)
        (canContain DiningTableType CupType)
        (canContain DiningTableType KnifeType)
        (canContain DiningTableType MugType)
        (canContain DiningTableType PanType)
        (canContain DiningTableType SpatulaType)
        (canContain DiningTableType TomatoType)
        (canContain DrawerType ButterKnifeType)
        (canContain DrawerType KnifeType)
        (canContain DrawerType SpatulaType)
        (canContain FridgeType AppleType)
        (canContain FridgeType BowlType)
        (canContain FridgeType BreadType)
        (canContain FridgeType CupType)
        (canContain FridgeType MugType)
        (canContain FridgeType PanType)
        (canContain FridgeType TomatoType)
        (canContain GarbageCanType AppleType)
        (canContain GarbageCanType BreadType)
        (canContain GarbageCanType TomatoType)
        (canContain MicrowaveType AppleType)
        (canContain MicrowaveType BowlType)
        (canContain MicrowaveType BreadType)
        (canContain MicrowaveType CupType)
        (canContain MicrowaveType MugType)
        (canContain MicrowaveType TomatoType)
        (canContain ShelfType BowlType)
        (canContain ShelfType CupType)
        (canContain ShelfType MugType)
        (canContain SinkBasinType AppleType)
        (canContain SinkBasinType BowlType)
        (canContain SinkBasinType ButterKnifeType)
        (canContain SinkBasinType CupType)
        (canContain SinkBasinType KnifeType)
        (canContain SinkBasinType MugType)
        (canContain SinkBasinType PanType)
        (canContain SinkBasinType SpatulaType)
        (canContain SinkBasinType TomatoType)
        (canContain StoveBurnerType PanType)
    )
        (:goal
            (and
                (exists (?r - receptacle)
                    (exists (?o - object)
                        (and
                            (inReceptacle ?o ?r)
                            (objectType ?o MugType)
                            (receptacleType ?r CoffeeMachineType)
                        )
                    )
                )
            )
        )
    )
    
