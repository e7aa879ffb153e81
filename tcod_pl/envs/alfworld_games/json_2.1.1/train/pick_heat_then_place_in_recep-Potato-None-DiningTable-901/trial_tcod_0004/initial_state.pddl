(define (problem plan_trial_tcod_0004)
    (:domain alfred)
    (:objects
        agent1 - agent
        Potato_bar_49 - object
        Tomato_bar_48 - object
        Mug_bar_47 - object
        Bread_bar_46 - object
        Spoon_bar_45 - object
        Pot_bar_44 - object
        Lettuce_bar_43 - object
        Cup_bar_42 - object
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
        BreadType - otype
        ButterKnifeType - otype
        CupType - otype
        KnifeType - otype
        LettuceType - otype
        MugType - otype
        PotType - otype
        PotatoType - otype
        SpoonType - otype
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
        (objectType Potato_bar_49 PotatoType)
        (inReceptacle Potato_bar_49 Fridge_bar_91)
        (objectAtLocation Potato_bar_49 loc_bar_9)
        (pickupable Potato_bar_49)
        (cleanable Potato_bar_49)
        (heatable Potato_bar_49)
        (coolable Potato_bar_49)
        (sliceable Potato_bar_49)
        (objectType Tomato_bar_48 TomatoType)
        (inReceptacle Tomato_bar_48 CounterTop_bar_98)
        (objectAtLocation Tomato_bar_48 loc_bar_2)
        (pickupable Tomato_bar_48)
        (cleanable Tomato_bar_48)
        (heatable Tomato_bar_48)
        (coolable Tomato_bar_48)
        (sliceable Tomato_bar_48)
        (objectType Mug_bar_47 MugType)
        (inReceptacle Mug_bar_47 Cabinet_bar_96)
        (objectAtLocation Mug_bar_47 loc_bar_4)
        (pickupable Mug_bar_47)
        (cleanable Mug_bar_47)
        (heatable Mug_bar_47)
        (coolable Mug_bar_47)
        (isReceptacleObject Mug_bar_47)
        (objectType Bread_bar_46 BreadType)
        (inReceptacle Bread_bar_46 DiningTable_bar_86)
        (objectAtLocation Bread_bar_46 loc_bar_14)
        (pickupable Bread_bar_46)
        (heatable Bread_bar_46)
        (coolable Bread_bar_46)
        (sliceable Bread_bar_46)
        (objectType Spoon_bar_45 SpoonType)
        (inReceptacle Spoon_bar_45 Drawer_bar_92)
        (objectAtLocation Spoon_bar_45 loc_bar_8)
        (pickupable Spoon_bar_45)
        (cleanable Spoon_bar_45)
        (objectType Pot_bar_44 PotType)
        (inReceptacle Pot_bar_44 StoveBurner_bar_87)
        (objectAtLocation Pot_bar_44 loc_bar_13)
        (pickupable Pot_bar_44)
        (cleanable Pot_bar_44)
        (coolable Pot_bar_44)
        (isReceptacleObject Pot_bar_44)
        (objectType Lettuce_bar_43 LettuceType)
        (inReceptacle Lettuce_bar_43 CounterTop_bar_99)
        (objectAtLocation Lettuce_bar_43 loc_bar_1)
        (pickupable Lettuce_bar_43)
        (cleanable Lettuce_bar_43)
        (coolable Lettuce_bar_43)
        (sliceable Lettuce_bar_43)
        (objectType Cup_bar_42 CupType)
        (inReceptacle Cup_bar_42 Shelf_bar_82)
        (objectAtLocation Cup_bar_42 loc_bar_18)
        (pickupable Cup_bar_42)
        (cleanable Cup_bar_42)
        (heatable Cup_bar_42)
        (coolable Cup_bar_42)
        (isReceptacleObject Cup_bar_42)
        (canContain CabinetType CupType)
        (canContain CabinetType MugType)
        (canContain CabinetType PotType)
        (canContain CoffeeMachineType MugType)
        (canContain CounterTopType BreadType)
        (canContain CounterTopType ButterKnifeType)
        (canContain CounterTopType CupType)
        (canContain CounterTopType KnifeType)
        (canContain CounterTopType LettuceType)
        (canContain CounterTopType MugType)
        (canContain CounterTopType PotType)
        (canContain CounterTopType PotatoType)
        (canContain CounterTopType SpoonType)
        (canContain CounterTopType TomatoType)
        (canContain DiningTableType BreadType)
        (canContain DiningTableType ButterKnifeType)
        (canContain DiningTableType CupType)
        (canContain DiningTableType KnifeType)
        (canContain DiningTableType LettuceType)
        (canContain DiningTableType MugType)
        (canContain DiningTableType PotType)
        (canContain DiningTableType PotatoType)
        (canContain DiningTableType SpoonType)
        (canContain DiningTableType TomatoType)
        (canContain DrawerType ButterKnifeType)
        (canContain DrawerType KnifeType)
        (canContain DrawerType SpoonType)
        (canContain FridgeType BreadType)
        (canContain FridgeType CupType)
        (canContain FridgeType LettuceType)
        (canContain FridgeType MugType)
        (canContain FridgeType PotType)
        (canContain FridgeType PotatoType)
        (canContain FridgeType TomatoType)
        (canContain GarbageCanType BreadType)
        (canContain GarbageCanType LettuceType)
        (canContain GarbageCanType PotatoType)
        (canContain GarbageCanType TomatoType)
        (canContain MicrowaveType BreadType)
        (canContain MicrowaveType CupType)
        (canContain MicrowaveType MugType)
        (canContain MicrowaveType PotatoType)
        (canContain MicrowaveType TomatoType)
        (canContain ShelfType CupType)
        (canContain ShelfType MugType)
        (canContain ShelfType PotType)
        (canContain SinkBasinType ButterKnifeType)
        (canContain SinkBasinType CupType)
        (canContain SinkBasinType KnifeType)
        (canContain SinkBasinType LettuceType)
        (canContain SinkBasinType MugType)
        (canContain SinkBasinType PotType)
        (canContain SinkBasinType PotatoType)
        (canContain SinkBasinType SpoonType)
        (canContain SinkBasinType TomatoType)
        (canContain StoveBurnerType PotType)
    )
        (:goal
            (and
                (exists (?r - receptacle)
                    (exists (?o - object)
                        (and
                            (heatable ?o)
                            (objectType ?o PotatoType)
                            (receptacleType ?r DiningTableType)
                            (isHot ?o)
                            (inReceptacle ?o ?r)
                        )
                    )
                )
            )
        )
    )
    
