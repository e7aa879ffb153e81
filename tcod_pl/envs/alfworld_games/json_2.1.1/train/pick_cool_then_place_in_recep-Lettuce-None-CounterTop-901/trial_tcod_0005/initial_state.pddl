(define (problem plan_trial_tcod_0005)
    (:domain alfred)
    (:objects
        agent1 - agent
        Lettuce_bar_49 - object
        Apple_bar_48 - object
        Egg_bar_47 - object
        Plate_bar_46 - object
        Knife_bar_45 - object
        Kettle_bar_44 - object
        Bowl_bar_43 - object
        WineBottle_bar_42 - object
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
        ButterKnifeType - otype
        EggType - otype
        KettleType - otype
        KnifeType - otype
        LettuceType - otype
        PlateType - otype
        WineBottleType - otype
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
        (objectType Lettuce_bar_49 LettuceType)
        (inReceptacle Lettuce_bar_49 DiningTable_bar_86)
        (objectAtLocation Lettuce_bar_49 loc_bar_14)
        (pickupable Lettuce_bar_49)
        (cleanable Lettuce_bar_49)
        (coolable Lettuce_bar_49)
        (sliceable Lettuce_bar_49)
        (objectType Apple_bar_48 AppleType)
        (inReceptacle Apple_bar_48 Microwave_bar_90)
        (objectAtLocation Apple_bar_48 loc_bar_10)
        (pickupable Apple_bar_48)
        (cleanable Apple_bar_48)
        (heatable Apple_bar_48)
        (coolable Apple_bar_48)
        (sliceable Apple_bar_48)
        (objectType Egg_bar_47 EggType)
        (inReceptacle Egg_bar_47 CounterTop_bar_99)
        (objectAtLocation Egg_bar_47 loc_bar_1)
        (pickupable Egg_bar_47)
        (cleanable Egg_bar_47)
        (heatable Egg_bar_47)
        (coolable Egg_bar_47)
        (sliceable Egg_bar_47)
        (objectType Plate_bar_46 PlateType)
        (inReceptacle Plate_bar_46 Cabinet_bar_97)
        (objectAtLocation Plate_bar_46 loc_bar_3)
        (pickupable Plate_bar_46)
        (cleanable Plate_bar_46)
        (heatable Plate_bar_46)
        (coolable Plate_bar_46)
        (isReceptacleObject Plate_bar_46)
        (objectType Knife_bar_45 KnifeType)
        (inReceptacle Knife_bar_45 Drawer_bar_93)
        (objectAtLocation Knife_bar_45 loc_bar_7)
        (pickupable Knife_bar_45)
        (cleanable Knife_bar_45)
        (objectType Kettle_bar_44 KettleType)
        (inReceptacle Kettle_bar_44 StoveBurner_bar_88)
        (objectAtLocation Kettle_bar_44 loc_bar_12)
        (pickupable Kettle_bar_44)
        (cleanable Kettle_bar_44)
        (objectType Bowl_bar_43 BowlType)
        (inReceptacle Bowl_bar_43 Shelf_bar_82)
        (objectAtLocation Bowl_bar_43 loc_bar_18)
        (pickupable Bowl_bar_43)
        (cleanable Bowl_bar_43)
        (coolable Bowl_bar_43)
        (isReceptacleObject Bowl_bar_43)
        (objectType WineBottle_bar_42 WineBottleType)
        (inReceptacle WineBottle_bar_42 Fridge_bar_91)
        (objectAtLocation WineBottle_bar_42 loc_bar_9)
        (pickupable WineBottle_bar_42)
        (coolable WineBottle_bar_42)
        (canContain CabinetType BowlType)
        (canContain CabinetType KettleType)
        (canContain CabinetType PlateType)
        (canContain CabinetType WineBottleType)
        (canContain CounterTopType AppleType)
        (canContain CounterTopType BowlType)
        (canContain CounterTopType ButterKnifeType)
        (canContain CounterTopType EggType)
        (canContain CounterTopType KettleType)
        (canContain CounterTopType KnifeType)
        (canContain CounterTopType LettuceType)
        (canContain CounterTopType PlateType)
        (canContain CounterTopType WineBottleType)
        (canContain DiningTableType AppleType)
        (canContain DiningTableType BowlType)
        (canContain DiningTableType ButterKnifeType)
        (canContain DiningTableType EggType)
        (canContain DiningTableType KettleType)
        (canContain DiningTableType KnifeType)
        (canContain DiningTableType LettuceType)
        (canContain DiningTableType PlateType)
        (canContain DiningTableType WineBottleType)
        (canContain DrawerType ButterKnifeType)
        (canContain DrawerType KnifeType)
        (canContain FridgeType AppleType)
        (canContain FridgeType BowlType)
        (canContain FridgeType EggType)
        (canContain FridgeType LettuceType)
        (canContain FridgeType PlateType)
        (canContain FridgeType WineBottleType)
        (canContain GarbageCanType AppleType)
        (canContain GarbageCanType EggType)
        (canContain GarbageCanType LettuceType)
        (canContain GarbageCanType WineBottleType)
        (canContain MicrowaveType AppleType)
        (canContain MicrowaveType BowlType)
        (canContain MicrowaveType EggType)
        (canContain MicrowaveType PlateType)
        (canContain ShelfType BowlType)
        (canContain ShelfType KettleType)
        (canContain ShelfType PlateType)
        (canContain ShelfType WineBottleType)
        (canContain SinkBasinType AppleType)
        (canContain SinkBasinType BowlType)
        (canContain SinkBasinType ButterKnifeType)
        (canContain SinkBasinType EggType)
        (canContain SinkBasinType KettleType)
        (canContain SinkBasinType KnifeType)
        (canContain SinkBasinType LettuceType)
        (canContain SinkBasinType PlateType)
        (canContain StoveBurnerType KettleType)
    )
        (:goal
            (and
                (exists (?r - receptacle)
                    (exists (?o - object)
                        (and
                            (coolable ?o)
                            (objectType ?o LettuceType)
                            (receptacleType ?r CounterTopType)
                            (isCool ?o)
                            (inReceptacle ?o ?r)
                        )
                    )
                )
            )
        )
    )
    
