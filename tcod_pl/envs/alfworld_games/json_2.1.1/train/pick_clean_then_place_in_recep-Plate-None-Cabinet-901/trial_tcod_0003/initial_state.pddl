(define (problem plan_trial_tcod_0003)
    (:domain alfred)
    (:objects
        agent1 - agent
        Plate_bar_49 - object
        Apple_bar_48 - object
        Mug_bar_47 - object
        Bread_bar_46 - object
        Fork_bar_45 - object
        Knife_bar_44 - object
        Pan_bar_43 - object
        Egg_bar_42 - object
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
        BreadType - otype
        ButterKnifeType - otype
        EggType - otype
        ForkType - otype
        KnifeType - otype
        MugType - otype
        PanType - otype
        PlateType - otype
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
        (objectType Plate_bar_49 PlateType)
        (inReceptacle Plate_bar_49 Shelf_bar_82)
        (objectAtLocation Plate_bar_49 loc_bar_18)
        (pickupable Plate_bar_49)
        (cleanable Plate_bar_49)
        (heatable Plate_bar_49)
        (coolable Plate_bar_49)
        (isReceptacleObject Plate_bar_49)
        (objectType Apple_bar_48 AppleType)
        (inReceptacle Apple_bar_48 CounterTop_bar_99)
        (objectAtLocation Apple_bar_48 loc_bar_1)
        (pickupable Apple_bar_48)
        (cleanable Apple_bar_48)
        (heatable Apple_bar_48)
        (coolable Apple_bar_48)
        (sliceable Apple_bar_48)
        (objectType Mug_bar_47 MugType)
        (inReceptacle Mug_bar_47 CoffeeMachine_bar_84)
        (objectAtLocation Mug_bar_47 loc_bar_16)
        (pickupable Mug_bar_47)
        (cleanable Mug_bar_47)
        (heatable Mug_bar_47)
        (coolable Mug_bar_47)
        (isReceptacleObject Mug_bar_47)
        (objectType Bread_bar_46 BreadType)
        (inReceptacle Bread_bar_46 CounterTop_bar_98)
        (objectAtLocation Bread_bar_46 loc_bar_2)
        (pickupable Bread_bar_46)
        (heatable Bread_bar_46)
        (coolable Bread_bar_46)
        (sliceable Bread_bar_46)
        (objectType Fork_bar_45 ForkType)
        (inReceptacle Fork_bar_45 Drawer_bar_93)
        (objectAtLocation Fork_bar_45 loc_bar_7)
        (pickupable Fork_bar_45)
        (cleanable Fork_bar_45)
        (objectType Knife_bar_44 KnifeType)
        (inReceptacle Knife_bar_44 CounterTop_bar_99)
        (objectAtLocation Knife_bar_44 loc_bar_1)
        (pickupable Knife_bar_44)
        (cleanable Knife_bar_44)
        (objectType Pan_bar_43 PanType)
        (inReceptacle Pan_bar_43 StoveBurner_bar_88)
        (objectAtLocation Pan_bar_43 loc_bar_12)
        (pickupable Pan_bar_43)
        (cleanable Pan_bar_43)
        (coolable Pan_bar_43)
        (isReceptacleObject Pan_bar_43)
        (objectType Egg_bar_42 EggType)
        (inReceptacle Egg_bar_42 Fridge_bar_91)
        (objectAtLocation Egg_bar_42 loc_bar_9)
        (pickupable Egg_bar_42)
        (cleanable Egg_bar_42)
        (heatable Egg_bar_42)
        (coolable Egg_bar_42)
        (sliceable Egg_bar_42)
        (canContain CabinetType MugType)
        (canContain CabinetType PanType)
        (canContain CabinetType PlateType)
        (canContain CoffeeMachineType MugType)
        (canContain CounterTopType AppleType)
        (canContain CounterTopType BreadType)
        (canContain CounterTopType ButterKnifeType)
        (canContain CounterTopType EggType)
        (canContain CounterTopType ForkType)
        (canContain CounterTopType KnifeType)
        (canContain CounterTopType MugType)
        (canContain CounterTopType PanType)
        (canContain CounterTopType PlateType)
        (canContain DiningTableType AppleType)
        (canContain DiningTableType BreadType)
        (canContain DiningTableType ButterKnifeType)
        (canContain DiningTableType EggType)
        (canContain DiningTableType ForkType)
        (canContain DiningTableType KnifeType)
        (canContain DiningTableType MugType)
        (canContain DiningTableType PanType)
        (canContain DiningTableType PlateType)
        (canContain DrawerType ButterKnifeType)
        (canContain DrawerType ForkType)
        (canContain DrawerType KnifeType)
        (canContain FridgeType AppleType)
        (canContain FridgeType BreadType)
        (canContain FridgeType EggType)
        (canContain FridgeType MugType)
        (canContain FridgeType PanType)
        (canContain FridgeType PlateType)
        (canContain GarbageCanType AppleType)
        (canContain GarbageCanType BreadType)
        (canContain GarbageCanType EggType)
        (canContain MicrowaveType AppleType)
        (canContain MicrowaveType BreadType)
        (canContain MicrowaveType EggType)
        (canContain MicrowaveType MugType)
        (canContain MicrowaveType PlateType)
        (canContain ShelfType MugType)
        (canContain ShelfType PlateType)
        (canContain SinkBasinType AppleType)
        (canContain SinkBasinType ButterKnifeType)
        (canContain SinkBasinType EggType)
        (canContain SinkBasinType ForkType)
        (canContain SinkBasinType KnifeType)
        (canContain SinkBasinType MugType)
        (canContain SinkBasinType PanType)
        (canContain SinkBasinType PlateType)
        (canContain StoveBurnerType PanType)
    )
        (:goal
            (and
                (exists (?r - receptacle)
                    (exists (?o - object)
                        (and
                            (cleanable ?o)
                            (objectType ?o PlateType)
                            (receptacleType ?r CabinetType)
                            (isClean ?o)
                            (inReceptacle ?o ?r)
                        )
                    )
                )
            )
        )
    )
    
