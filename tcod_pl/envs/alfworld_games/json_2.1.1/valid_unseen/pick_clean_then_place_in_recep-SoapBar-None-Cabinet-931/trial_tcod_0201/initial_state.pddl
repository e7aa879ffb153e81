(define (problem plan_trial_tcod_0201)
    (:domain alfred)
    (:objects
        agent1 - agent
        SoapBar_bar_49 - object
        SprayBottle_bar_48 - object
        ToiletPaper_bar_47 - object
        Cloth_bar_46 - object
        HandTowel_bar_45 - object
        Candle_bar_44 - object
        SoapBottle_bar_43 - object
        TissueBox_bar_42 - object
        Toilet_bar_99 - receptacle
        Sink_bar_98_bar_SinkBasin - receptacle
        Cabinet_bar_97 - receptacle
        Cabinet_bar_96 - receptacle
        Cabinet_bar_95 - receptacle
        CounterTop_bar_94 - receptacle
        Drawer_bar_93 - receptacle
        Drawer_bar_92 - receptacle
        TowelHolder_bar_91 - receptacle
        HandTowelHolder_bar_90 - receptacle
        GarbageCan_bar_89 - receptacle
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
        ButterKnifeType - otype
        CandleType - otype
        ClothType - otype
        HandTowelType - otype
        KnifeType - otype
        SoapBarType - otype
        SoapBottleType - otype
        SprayBottleType - otype
        TissueBoxType - otype
        ToiletPaperType - otype
        CabinetType - rtype
        CounterTopType - rtype
        DrawerType - rtype
        FridgeType - rtype
        GarbageCanType - rtype
        HandTowelHolderType - rtype
        MicrowaveType - rtype
        SinkBasinType - rtype
        ToiletType - rtype
        TowelHolderType - rtype
    )
    (:init
        (atLocation agent1 loc_bar_0)
        (receptacleType Toilet_bar_99 ToiletType)
        (receptacleAtLocation Toilet_bar_99 loc_bar_1)
        (receptacleType Sink_bar_98_bar_SinkBasin SinkBasinType)
        (receptacleAtLocation Sink_bar_98_bar_SinkBasin loc_bar_2)
        (receptacleType Cabinet_bar_97 CabinetType)
        (receptacleAtLocation Cabinet_bar_97 loc_bar_3)
        (openable Cabinet_bar_97)
        (receptacleType Cabinet_bar_96 CabinetType)
        (receptacleAtLocation Cabinet_bar_96 loc_bar_4)
        (openable Cabinet_bar_96)
        (receptacleType Cabinet_bar_95 CabinetType)
        (receptacleAtLocation Cabinet_bar_95 loc_bar_5)
        (openable Cabinet_bar_95)
        (receptacleType CounterTop_bar_94 CounterTopType)
        (receptacleAtLocation CounterTop_bar_94 loc_bar_6)
        (receptacleType Drawer_bar_93 DrawerType)
        (receptacleAtLocation Drawer_bar_93 loc_bar_7)
        (openable Drawer_bar_93)
        (receptacleType Drawer_bar_92 DrawerType)
        (receptacleAtLocation Drawer_bar_92 loc_bar_8)
        (openable Drawer_bar_92)
        (receptacleType TowelHolder_bar_91 TowelHolderType)
        (receptacleAtLocation TowelHolder_bar_91 loc_bar_9)
        (receptacleType HandTowelHolder_bar_90 HandTowelHolderType)
        (receptacleAtLocation HandTowelHolder_bar_90 loc_bar_10)
        (receptacleType GarbageCan_bar_89 GarbageCanType)
        (receptacleAtLocation GarbageCan_bar_89 loc_bar_11)
        (objectType SoapBar_bar_49 SoapBarType)
        (inReceptacle SoapBar_bar_49 Toilet_bar_99)
        (objectAtLocation SoapBar_bar_49 loc_bar_1)
        (pickupable SoapBar_bar_49)
        (cleanable SoapBar_bar_49)
        (objectType SprayBottle_bar_48 SprayBottleType)
        (inReceptacle SprayBottle_bar_48 CounterTop_bar_94)
        (objectAtLocation SprayBottle_bar_48 loc_bar_6)
        (pickupable SprayBottle_bar_48)
        (objectType ToiletPaper_bar_47 ToiletPaperType)
        (inReceptacle ToiletPaper_bar_47 Cabinet_bar_96)
        (objectAtLocation ToiletPaper_bar_47 loc_bar_4)
        (pickupable ToiletPaper_bar_47)
        (objectType Cloth_bar_46 ClothType)
        (inReceptacle Cloth_bar_46 Drawer_bar_93)
        (objectAtLocation Cloth_bar_46 loc_bar_7)
        (pickupable Cloth_bar_46)
        (cleanable Cloth_bar_46)
        (objectType HandTowel_bar_45 HandTowelType)
        (inReceptacle HandTowel_bar_45 HandTowelHolder_bar_90)
        (objectAtLocation HandTowel_bar_45 loc_bar_10)
        (pickupable HandTowel_bar_45)
        (objectType Candle_bar_44 CandleType)
        (inReceptacle Candle_bar_44 CounterTop_bar_94)
        (objectAtLocation Candle_bar_44 loc_bar_6)
        (pickupable Candle_bar_44)
        (objectType SoapBottle_bar_43 SoapBottleType)
        (inReceptacle SoapBottle_bar_43 Cabinet_bar_95)
        (objectAtLocation SoapBottle_bar_43 loc_bar_5)
        (pickupable SoapBottle_bar_43)
        (objectType TissueBox_bar_42 TissueBoxType)
        (inReceptacle TissueBox_bar_42 Drawer_bar_92)
        (objectAtLocation TissueBox_bar_42 loc_bar_8)
        (pickupable TissueBox_bar_42)
        (canContain CabinetType CandleType)
        (canContain CabinetType ClothType)
        (canContain CabinetType HandTowelType)
        (canContain CabinetType SoapBarType)
        (canContain CabinetType SoapBottleType)
        (canContain CabinetType SprayBottleType)
        (canContain CabinetType TissueBoxType)
        (canContain CabinetType ToiletPaperType)
        (canContain CounterTopType ButterKnifeType)
        (canContain CounterTopType CandleType)
        (canContain CounterTopType ClothType)
        (canContain CounterTopType HandTowelType)
        (canContain CounterTopType KnifeType)
        (canContain CounterTopType SoapBarType)
        (canContain CounterTopType SoapBottleType)
        (canContain CounterTopType SprayBottleType)
        (canContain CounterTopType TissueBoxType)
        (canContain CounterTopType ToiletPaperType)
        (canContain DrawerType ButterKnifeType)
        (canContain DrawerType CandleType)
        (canContain DrawerType ClothType)
        (canContain DrawerType HandTowelType)
        (canContain DrawerType KnifeType)
        (canContain DrawerType SoapBarType)
        (canContain DrawerType SoapBottleType)
        (canContain DrawerType SprayBottleType)
        (canContain DrawerType TissueBoxType)
        (canContain DrawerType ToiletPaperType)
        (canContain GarbageCanType ClothType)
        (canContain GarbageCanType HandTowelType)
        (canContain GarbageCanType SoapBarType)
        (canContain GarbageCanType SoapBottleType)
        (canContain GarbageCanType SprayBottleType)
        (canContain GarbageCanType TissueBoxType)
        (canContain GarbageCanType ToiletPaperType)
        (canContain HandTowelHolderType HandTowelType)
        (canContain SinkBasinType ButterKnifeType)
        (canContain SinkBasinType ClothType)
        (canContain SinkBasinType HandTowelType)
        (canContain SinkBasinType KnifeType)
        (canContain SinkBasinType SoapBarType)
        (canContain ToiletType CandleType)
        (canContain ToiletType ClothType)
        (canContain ToiletType HandTowelType)
        (canContain ToiletType SoapBarType)
        (canContain ToiletType SoapBottleType)
        (canContain ToiletType SprayBottleType)
        (canContain ToiletType TissueBoxType)
        (canContain ToiletType ToiletPaperType)
    )
        (:goal
            (and
                (exists (?r - receptacle)
                    (exists (?o - object)
                        (and
                            (cleanable ?o)
                            (objectType ?o SoapBarType)
                            (receptacleType ?r CabinetType)
                            (isClean ?o)
                            (inReceptacle ?o ?r)
                        )
                    )
                )
            )
        )
    )
    
