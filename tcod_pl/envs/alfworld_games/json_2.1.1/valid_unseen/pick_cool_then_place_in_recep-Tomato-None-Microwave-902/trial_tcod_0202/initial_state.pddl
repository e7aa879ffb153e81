(define (problem plan_trial_tcod_0202)
    (:domain alfred)
    (:objects
        agent1 - agent
        Tomato_bar_49 - object
        Potato_bar_48 - object
        Egg_bar_47 - object
        Mug_bar_46 - object
        Ladle_bar_45 - object
        Pan_bar_44 - object
        Bowl_bar_43 - object
        Apple_bar_42 - object
        CounterTop_bar_99 - receptacle
        CounterTop_bar_98 - receptacle
        CounterTop_bar_97 - receptacle
        Cabinet_bar_96 - receptacle
        Cabinet_bar_95 - receptacle
        Cabinet_bar_94 - receptacle
        Drawer_bar_93 - receptacle
        Drawer_bar_92 - receptacle
        Drawer_bar_91 - receptacle
        Fridge_bar_90 - receptacle
        Microwave_bar_89 - receptacle
        Sink_bar_88_bar_SinkBasin - receptacle
        StoveBurner_bar_87 - receptacle
        StoveBurner_bar_86 - receptacle
        StoveBurner_bar_85 - receptacle
        StoveBurner_bar_84 - receptacle
        DiningTable_bar_83 - receptacle
        GarbageCan_bar_82 - receptacle
        CoffeeMachine_bar_81 - receptacle
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
        loc_bar_19 - location
        AppleType - otype
        BowlType - otype
        ButterKnifeType - otype
        EggType - otype
        KnifeType - otype
        LadleType - otype
        MugType - otype
        PanType - otype
        PotatoType - otype
        TomatoType - otype
        CabinetType - rtype
        CoffeeMachineType - rtype
        CounterTopType - rtype
        DiningTableType - rtype
        DrawerType - rtype
        FridgeType - rtype
        GarbageCanType - rtype
        MicrowaveType - rtype
        SinkBasinType - rtype
        StoveBurnerType - rtype
    )
    (:init
        (atLocation agent1 loc_bar_0)
        (receptacleType CounterTop_bar_99 CounterTopType)
        (receptacleAtLocation CounterTop_bar_99 loc_bar_1)
        (receptacleType CounterTop_bar_98 CounterTopType)
        (receptacleAtLocation CounterTop_bar_98 loc_bar_2)
        (receptacleType CounterTop_bar_97 CounterTopType)
        (receptacleAtLocation CounterTop_bar_97 loc_bar_3)
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
        (receptacleType Drawer_bar_91 DrawerType)
        (receptacleAtLocation Drawer_bar_91 loc_bar_9)
        (openable Drawer_bar_91)
        (receptacleType Fridge_bar_90 FridgeType)
        (receptacleAtLocation Fridge_bar_90 loc_bar_10)
        (openable Fridge_bar_90)
        (receptacleType Microwave_bar_89 MicrowaveType)
        (receptacleAtLocation Microwave_bar_89 loc_bar_11)
        (openable Microwave_bar_89)
        (receptacleType Sink_bar_88_bar_SinkBasin SinkBasinType)
        (receptacleAtLocation Sink_bar_88_bar_SinkBasin loc_bar_12)
        (receptacleType StoveBurner_bar_87 StoveBurnerType)
        (receptacleAtLocation StoveBurner_bar_87 loc_bar_13)
        (receptacleType StoveBurner_bar_86 StoveBurnerType)
        (receptacleAtLocation StoveBurner_bar_86 loc_bar_14)
        (receptacleType StoveBurner_bar_85 StoveBurnerType)
        (receptacleAtLocation StoveBurner_bar_85 loc_bar_15)
        (receptacleType StoveBurner_bar_84 StoveBurnerType)
        (receptacleAtLocation StoveBurner_bar_84 loc_bar_16)
        (receptacleType DiningTable_bar_83 DiningTableType)
        (receptacleAtLocation DiningTable_bar_83 loc_bar_17)
        (receptacleType GarbageCan_bar_82 GarbageCanType)
        (receptacleAtLocation GarbageCan_bar_82 loc_bar_18)
        (receptacleType CoffeeMachine_bar_81 CoffeeMachineType)
        (receptacleAtLocation CoffeeMachine_bar_81 loc_bar_19)
        (objectType Tomato_bar_49 TomatoType)
        (inReceptacle Tomato_bar_49 CounterTop_bar_97)
        (objectAtLocation Tomato_bar_49 loc_bar_3)
        (pickupable Tomato_bar_49)
        (cleanable Tomato_bar_49)
        (heatable Tomato_bar_49)
        (coolable Tomato_bar_49)
        (sliceable Tomato_bar_49)
        (objectType Potato_bar_48 PotatoType)
        (inReceptacle Potato_bar_48 DiningTable_bar_83)
        (objectAtLocation Potato_bar_48 loc_bar_17)
        (pickupable Potato_bar_48)
        (cleanable Potato_bar_48)
        (heatable Potato_bar_48)
        (coolable Potato_bar_48)
        (sliceable Potato_bar_48)
        (objectType Egg_bar_47 EggType)
        (inReceptacle Egg_bar_47 Fridge_bar_90)
        (objectAtLocation Egg_bar_47 loc_bar_10)
        (pickupable Egg_bar_47)
        (cleanable Egg_bar_47)
        (heatable Egg_bar_47)
        (coolable Egg_bar_47)
        (sliceable Egg_bar_47)
        (objectType Mug_bar_46 MugType)
        (inReceptacle Mug_bar_46 Cabinet_bar_96)
        (objectAtLocation Mug_bar_46 loc_bar_4)
        (pickupable Mug_bar_46)
        (cleanable Mug_bar_46)
        (heatable Mug_bar_46)
        (coolable Mug_bar_46)
        (isReceptacleObject Mug_bar_46)
        (objectType Ladle_bar_45 LadleType)
        (inReceptacle Ladle_bar_45 Drawer_bar_91)
        (objectAtLocation Ladle_bar_45 loc_bar_9)
        (pickupable Ladle_bar_45)
        (cleanable Ladle_bar_45)
        (objectType Pan_bar_44 PanType)
        (inReceptacle Pan_bar_44 StoveBurner_bar_85)
        (objectAtLocation Pan_bar_44 loc_bar_15)
        (pickupable Pan_bar_44)
        (cleanable Pan_bar_44)
        (coolable Pan_bar_44)
        (isReceptacleObject Pan_bar_44)
        (objectType Bowl_bar_43 BowlType)
        (inReceptacle Bowl_bar_43 CounterTop_bar_99)
        (objectAtLocation Bowl_bar_43 loc_bar_1)
        (pickupable Bowl_bar_43)
        (cleanable Bowl_bar_43)
        (coolable Bowl_bar_43)
        (isReceptacleObject Bowl_bar_43)
        (objectType Apple_bar_42 AppleType)
        (inReceptacle Apple_bar_42 GarbageCan_bar_82)
        (objectAtLocation Apple_bar_42 loc_bar_18)
        (pickupable Apple_bar_42)
        (cleanable Apple_bar_42)
        (heatable Apple_bar_42)
        (coolable Apple_bar_42)
        (sliceable Apple_bar_42)
        (canContain CabinetType BowlType)
        (canContain CabinetType LadleType)
        (canContain CabinetType MugType)
        (canContain CabinetType PanType)
        (canContain CoffeeMachineType MugType)
        (canContain CounterTopType AppleType)
        (canContain CounterTopType BowlType)
        (canContain CounterTopType ButterKnifeType)
        (canContain CounterTopType EggType)
        (canContain CounterTopType KnifeType)
        (canContain CounterTopType LadleType)
        (canContain CounterTopType MugType)
        (canContain CounterTopType PanType)
        (canContain CounterTopType PotatoType)
        (canContain CounterTopType TomatoType)
        (canContain DiningTableType AppleType)
        (canContain DiningTableType BowlType)
        (canContain DiningTableType ButterKnifeType)
        (canContain DiningTableType EggType)
        (canContain DiningTableType KnifeType)
        (canContain DiningTableType LadleType)
        (canContain DiningTableType MugType)
        (canContain DiningTableType PanType)
        (canContain DiningTableType PotatoType)
        (canContain DiningTableType TomatoType)
        (canContain DrawerType ButterKnifeType)
        (canContain DrawerType KnifeType)
        (canContain DrawerType LadleType)
        (canContain FridgeType AppleType)
        (canContain FridgeType BowlType)
        (canContain FridgeType EggType)
        (canContain FridgeType MugType)
        (canContain FridgeType PanType)
        (canContain FridgeType PotatoType)
        (canContain FridgeType TomatoType)
        (canContain GarbageCanType AppleType)
        (canContain GarbageCanType EggType)
        (canContain GarbageCanType PotatoType)
        (canContain GarbageCanType TomatoType)
        (canContain MicrowaveType AppleType)
        (canContain MicrowaveType BowlType)
        (canContain MicrowaveType EggType)
        (canContain MicrowaveType MugType)
        (canContain MicrowaveType PotatoType)
        (canContain MicrowaveType TomatoType)
        (canContain SinkBasinType AppleType)
        (canContain SinkBasinType BowlType)
        (canContain SinkBasinType ButterKnifeType)
        (canContain SinkBasinType EggType)
        (canContain SinkBasinType KnifeType)
        (canContain SinkBasinType LadleType)
        (canContain SinkBasinType MugType)
        (canContain SinkBasinType PanType)
        (canContain SinkBasinType PotatoType)
        (canContain SinkBasinType TomatoType)
        (canContain StoveBurnerType PanType)
    )
        (:goal
            (and
                (exists (?r - receptacle)
                    (exists (?o - object)
                        (and
                            (coolable ?o)
                            (objectType ?o TomatoType)
                            (receptacleType ?r MicrowaveType)
                            (isCool ?o)
                            (inReceptacle ?o ?r)
                        )
                    )
                )
            )
        )
    )
    
