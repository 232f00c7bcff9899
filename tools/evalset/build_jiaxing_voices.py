#!/usr/bin/env python3
"""Build eval/jiaxing-voices (see its README.md) from the hand-written
trades, people and distractor postings below.

    python3 tools/evalset/build_jiaxing_voices.py eval/jiaxing-voices

Deterministic: the same script writes the same files. Grades are assigned
by construction from the trade each posting belongs to and the trades each
person has done (the rules are in `grade()` and the set's README); the
hard-rule pairs are computed from the rules of API.md (`broken()`), for
every person and every job, on the reference date and two years later.
"""

import csv
import datetime as dt
import json
import os
import random
import sys

REF = dt.date(2026, 12, 1)
LATER = dt.date(2028, 12, 1)

HERE = os.path.dirname(os.path.abspath(__file__))
REGIONS_CSV = os.path.join(HERE, "..", "..", "schemas", "seed", "regions-jiaxing.csv")

# ---------------------------------------------------------------- trades
# code: category, titles, duty sentences, the job's skill words, certificate,
# physical demand, near trades (graded one lower), employment types cycled.
TRADES = {
    "dangche": ("manufacturing", ["织造挡车工", "经编挡车工", "喷水织机挡车工"],
                ["负责看管织机，巡回检查经纱纬纱，断头及时接好。", "发现布面疵点及时停机，通知机修处理。",
                 "按要求做好交接班记录和机台卫生。"], ["挡车", "接头"], None, "medium", ["yanbu"]),
    "taokou": ("manufacturing", ["毛衫套口工", "羊毛衫套口工"],
               ["用套口机（缝盘机）把毛衫前后片、袖子和领子对齐套合。", "一针对一针，不漏针不错位，计件工资。"],
               ["套口", "缝盘"], None, "light", ["houdao", "fengren"]),
    "yanbu": ("manufacturing", ["验布工", "坯布检验员"],
              ["在验布机上检查布面的破洞、油污、色差和断纱等疵点，做好标记。", "按标准给布匹评等，记录米数。"],
              ["验布"], None, "light", ["zhijian", "dangche"]),
    "houdao": ("manufacturing", ["服装后道整理工", "服装剪线工"],
               ["负责成衣剪线头、检查、整烫、折叠和装袋。", "把有线头、污渍的衣服挑出来交返修。"],
               ["剪线头", "整烫"], None, "light", ["taokou", "zhijian", "tangyi"]),
    "zhijian": ("manufacturing", ["品检员", "五金件质检员", "外观检验员"],
                ["按检验标准检查产品外观，挑出划痕、毛刺、变形等不良品。", "做好检验记录，不良品分类摆放。"],
                ["质检", "检验"], None, "light", ["yanbu", "houdao"]),
    "dianhan": ("manufacturing", ["电焊工", "二保焊工"],
                ["用二氧化碳保护焊焊接钢结构件，能看懂简单图纸。", "焊缝平整无气孔，做好焊机日常保养。"],
                ["电焊", "二保焊"], None, "heavy", ["hanxi"]),
    "hanxi": ("manufacturing", ["焊锡工", "电子厂焊锡作业员"],
              ["用电烙铁在线路板上手工焊接元器件，补焊、修焊。", "自检焊点有无虚焊、连锡。"],
              ["焊锡", "电烙铁"], None, "light", ["dianhan", "zhijian"]),
    "guanzhuang": ("manufacturing", ["灌装线操作工", "饮料灌装工"],
                   ["在灌装流水线上上瓶，看管灌装机和封盖机。", "检查液位、瓶盖和标签，把不合格的瓶子拿下线。"],
                   ["灌装", "流水线"], None, "medium", ["baozhuang"]),
    "baozhuang": ("manufacturing", ["食品厂包装工", "包装工"],
                  ["把产品装袋、封口、贴标，再装箱。", "按订单核对数量，保持包装台整洁。"],
                  ["包装"], None, "light", ["guanzhuang", "fenjian"]),
    "tangyi": ("housekeeping", ["洗衣房熨烫工", "布草洗涤工"],
               ["负责酒店布草的洗涤、烘干、熨烫和折叠。", "操作烫平机，把床单被套熨平叠好。"],
               ["熨烫", "洗涤"], None, "medium", ["houdao"]),
    "shitang": ("catering", ["食堂帮工", "学校食堂帮厨"],
                ["在食堂洗菜、切菜，开饭时打饭打菜。", "饭后收拾餐具，打扫餐厅和后厨。"],
                ["洗菜", "打菜"], "health_cert", "medium", ["xiwan", "chushi"]),
    "xiwan": ("catering", ["洗碗工", "酒店洗碗工"],
              ["负责餐具、锅具的清洗和消毒。", "收拾后厨卫生，碗碟分类摆放。"],
              ["洗碗"], "health_cert", "medium", ["shitang"]),
    "chushi": ("catering", ["食堂厨师", "农家菜厨师"],
               ["负责员工食堂一日三餐的烹饪，以家常菜为主。", "按菜单备料，保证饭菜卫生可口。"],
               ["烧菜", "家常菜"], "health_cert", "medium", ["shitang"]),
    "guolu": ("maintenance", ["锅炉工", "锅炉房司炉工"],
              ["负责燃气锅炉的日常运行，按时巡查压力、水位和温度并记录。", "发现异常及时报告，按规程处理。"],
              ["锅炉", "司炉"], None, "medium", ["bengfang"]),
    "bengfang": ("maintenance", ["泵房值班员", "水泵房值守员"],
                 ["小区二次供水泵房的日常值守、巡检和记录。", "看水泵、水箱和阀门是否正常，配合维修师傅。"],
                 ["泵房", "巡检"], None, "light", ["guolu", "yejian"]),
    "yejian": ("security", ["夜班门卫", "仓库夜间值守员", "厂区巡夜员"],
               ["夜里在门岗值守，按时巡查厂区和仓库。", "登记进出车辆和人员，发现异常及时报告。"],
               ["值守", "巡查"], None, "light", ["bengfang", "tingche"]),
    "c1siji": ("driving", ["送货司机（C1）", "面包车送货司机"],
               ["开单位的面包车给门店和客户送货。", "按路线配送，协助装卸，保持车辆整洁。"],
               ["驾驶", "送货"], "driver_c1", "medium", ["sanlun", "bsiji"]),
    "bsiji": ("driving", ["中型货车司机（B2）", "厢式货车驾驶员"],
              ["驾驶厢式货车在嘉兴周边和上海之间跑运输。", "需持B2驾照，熟悉车辆日常检查。"],
              ["B2驾照", "货车驾驶"], None, "medium", ["c1siji"]),
    "sanlun": ("delivery", ["三轮车送货员", "桶装水配送员"],
               ["骑电动三轮车把桶装水、粮油送到小区和店里。", "送到后帮客户搬上楼，回收空桶。"],
               ["三轮车", "送水"], None, "medium", ["c1siji", "fenjian"]),
    "fenjian": ("warehouse", ["快递分拣员", "快递中转站分拣员"],
                ["在快递中转站把包裹按片区分拣、扫描、上架。", "配合装车卸车，核对件数。"],
                ["分拣", "扫描"], None, "medium", ["baozhuang", "zhuangxie"]),
    "zhuangxie": ("warehouse", ["装卸工", "码头装卸工"],
                  ["装车卸车，搬运货物，码放整齐。", "按班组安排轮班，计件加底薪。"],
                  ["装卸", "搬运"], None, "heavy", ["fenjian"]),
    "chache": ("warehouse", ["叉车工", "仓库叉车司机"],
               ["开叉车在仓库里装卸、移库、上下货架。", "每天检查叉车，做好点检记录。"],
               ["叉车"], "driver_forklift", "medium", ["zhuangxie"]),
    "baojie": ("cleaning", ["楼道保洁员", "写字楼保洁员", "小区保洁员"],
               ["负责楼道、电梯和大堂的清扫拖地，清倒垃圾。", "擦拭扶手、门窗和信报箱，保持公共区域干净。"],
               ["保洁"], None, "medium", ["hedao"]),
    "hedao": ("river_cleaning", ["河道保洁员", "河道巡查保洁员"],
              ["撑船打捞河面的漂浮物和水草，清理岸边垃圾。", "每天巡河，发现排污口异常及时上报。"],
              ["河道保洁", "打捞"], None, "medium", ["baojie", "lvhua"]),
    "lvhua": ("greening", ["绿化工", "园林养护工"],
              ["修剪绿篱和行道树，浇水、除草、打药。", "补种苗木，清理枯枝落叶。"],
              ["修剪", "绿化养护"], None, "medium", ["guoyuan", "hedao"]),
    "guoyuan": ("agriculture", ["葡萄园采摘工", "果园季节工", "蔬菜基地种植工"],
                ["负责果树修枝、套袋、疏果和采摘装筐。", "按季节安排田间管理，农忙时加班另计。"],
                ["采摘", "种植"], None, "medium", ["lvhua"]),
    "yanglao": ("elderly_care", ["养老护理员", "居家养老护理员"],
                ["照顾失能、半失能老人的吃饭、洗漱、翻身和大小便。", "陪老人说话散步，按时提醒吃药。"],
                ["照护", "护理"], None, "medium", []),
    "yuer": ("childcare", ["育儿嫂", "托育园保育员"],
             ["照顾婴幼儿的饮食起居，做辅食，陪玩陪睡。", "注意卫生和安全，按时给家长反馈。"],
             ["育儿", "辅食"], "health_cert", "light", []),
    "fengren": ("manufacturing", ["平车缝纫工", "服装厂车位工"],
                ["用平车缝合衣片，按工艺要求车缝。", "计件工资，多劳多得。"],
                ["缝纫", "平车"], None, "light", ["taokou", "houdao"]),
    "tingche": ("parking", ["停车收费员", "菜场停车管理员"],
                ["引导车辆有序停放，收取停车费。", "维持停车场秩序，劝离乱停车辆。"],
                ["停车管理", "收费"], None, "light", ["yejian"]),
    "shougong": ("handicraft", ["来料加工（串珠）", "居家手工绢花"],
                 ["在家或村里加工点串珠、做绢花、贴钻，按件计酬。", "材料由加工点统一发放，免费教。"],
                 ["手工"], None, "light", []),
    "wangge": ("community_assistant", ["网格员", "村级协管员"],
               ["入户走访，登记更新人口信息。", "上报网格内的矛盾纠纷和安全隐患，协助社区做好服务。"],
               ["入户走访", "信息登记"], None, "light", []),
    "lihuo": ("retail", ["超市理货员", "便利店理货员"],
              ["把货品上架、补货、整理货架，检查保质期。", "配合盘点和收货。"],
              ["理货"], None, "medium", []),
    "daogou": ("retail", ["服装店导购", "商场促销员"],
               ["在店里接待顾客，介绍商品，帮顾客挑选搭配。", "完成门店销售目标，有提成。"],
               ["销售", "接待顾客"], None, "light", []),
    "diangong": ("maintenance", ["物业维修电工", "厂区维修电工"],
                 ["负责配电房、照明和插座的日常维修保养。", "按时巡检线路，做好维修记录。"],
                 ["电工", "维修"], "electrician", "medium", ["guolu"]),
}

# Jobs that talk about a trade's work without being it (kind 1 distractors):
# (trade talked about, title, category, description, invest money?)
DISTRACTORS = [
    ("chache", "叉车销售顾问", "warehouse", "向工厂和物流园推销叉车及配件，开发客户，完成销售任务。底薪加提成，懂叉车、开过叉车优先。", False),
    ("chache", "叉车租赁业务员", "retail", "负责叉车租赁业务的电话联系和上门洽谈，维护老客户。熟悉叉车型号者优先。", False),
    ("xiwan", "餐饮加盟招商专员", "catering", "为连锁快餐品牌招募加盟商，介绍加盟政策、后厨设备和洗碗消毒流程。完成招商指标有高额提成。", False),
    ("xiwan", "快餐店加盟合伙人", "catering", "品牌快餐诚招合伙人，需投资8万元，总部提供厨房设备、洗碗机和培训。自己当老板，回本快。", True),
    ("baojie", "保洁用品推销员", "cleaning", "向物业公司、酒店推销清洁剂、拖把等保洁用品。懂保洁、做过物业保洁的优先，底薪加提成。", False),
    ("baojie", "家政保洁品牌加盟", "cleaning", "家政保洁连锁诚邀加盟，加盟费3万元，总部派单、统一培训。适合想创业的朋友。", True),
    ("yanglao", "养老院床位销售顾问", "elderly_care", "向老人家属介绍养老院的护理服务和床位，带家属参观，完成入住签约。有护理经验者优先。", False),
    ("yanglao", "保健品体验店店员", "retail", "在社区体验店给老人讲解保健品，组织老年人活动，推广会员卡。会跟老人聊天的优先。", False),
    ("yuer", "母婴护理培训课程顾问", "childcare", "向学员介绍育儿嫂、月嫂培训课程，电话邀约到店试听，完成招生任务。", False),
    ("dianhan", "焊机销售业务员", "manufacturing", "推销电焊机、二保焊机和焊材，拜访五金店和工厂。懂电焊者优先，底薪加提成。", False),
    ("dianhan", "焊工培训学校招生老师", "manufacturing", "为焊工培训班招生，介绍电焊、氩弧焊课程和考证服务，完成招生指标。", False),
    ("sanlun", "电动三轮车门店销售", "retail", "在门店接待顾客，介绍电动三轮车和电瓶车，办理分期。会骑三轮车的优先。", False),
    ("fengren", "缝纫机直播带货主播", "manufacturing", "在直播间讲解家用缝纫机和平车的用法，带货卖机器。会踩缝纫机、能说会道者优先。", False),
    ("lvhua", "苗木基地招商经理", "greening", "负责苗木基地的招商和客户开发，向园林公司推销苗木。懂绿化养护的优先。", False),
    ("lvhua", "花卉直播主播", "greening", "在直播间介绍花草的养护方法并带货，每天直播4小时。喜欢种花养草者优先。", False),
    ("guoyuan", "农资化肥销售员", "agriculture", "向种植户推销化肥、农药和种子，下村开推广会。懂种植的优先。", False),
    ("c1siji", "驾校招生顾问", "driving", "为驾校招收C1学员，发传单、电话邀约、带学员报名。有驾照者优先。", False),
    ("c1siji", "网约车司机招募（以租代购）", "driving", "平台招募网约车司机，需首付3万元以租代购车辆，月供另计。有C1驾照即可。", True),
    ("fenjian", "快递驿站加盟", "warehouse", "快递驿站诚招加盟，需投资5万元，总部提供货架、扫描设备和派件业务。", True),
    ("guolu", "锅炉设备销售工程师", "maintenance", "向工厂推销燃气锅炉和节能改造方案，做方案报价。懂锅炉运行的优先。", False),
    ("diangong", "电工证培训招生老师", "maintenance", "为电工证、焊工证培训班招生，负责咨询、报名和考试安排。", False),
    ("yejian", "安防监控设备销售员", "security", "推销监控摄像头和门禁系统，上门给工厂和小区介绍方案。做过门卫保安的优先。", False),
    ("chushi", "厨具销售顾问", "catering", "向饭店和食堂推销商用厨具，上门演示。懂烧菜、做过厨师的优先。", False),
    ("chushi", "中式烹调培训课程顾问", "catering", "为厨师培训学校招生，介绍中式烹调课程，电话回访意向学员。", False),
    ("zhijian", "检测仪器销售专员", "manufacturing", "推销质检用的检测仪器和量具，拜访工厂品质部门。懂质检的优先。", False),
    ("shougong", "手工串珠加盟（先交押金领料）", "handicraft", "在家做手工串珠，先交押金2000元领取材料，做好回收结算。加盟后长期供料。", True),
    ("hedao", "水处理设备推销员", "river_cleaning", "向村镇推销河道增氧机和水处理设备，做产品演示。了解河道保洁的优先。", False),
    ("guanzhuang", "灌装设备销售", "manufacturing", "推销饮料灌装机、封盖机，参加展会，跟进客户。做过灌装线的优先。", False),
    ("dangche", "纺织面料业务员", "manufacturing", "开发服装厂客户，推销坯布面料，跟单发货。在织布厂做过的优先。", False),
    ("yanglao", "养老护理员培训招生", "elderly_care", "为养老护理员培训班招生，讲解课程和考证补贴。有照顾老人经验的优先。", False),
]

# ---------------------------------------------------------------- people
# key, name, sex (m/f), age, home street, groups, trades (first = main),
# skills (their own words), certificates, preferred categories, availability,
# expected pay (min, unit) or None, physical limit, status, willingness,
# service needs.
H, L, Z, D = "hardship_certified", "low_income_family", "zero_employment_family", "disabled"
PEOPLE = [
    ("p01", "沈月琴", "f", 57, "330411101", [H], ["dangche"], ["在王江泾的织布厂挡了十几年车", "断头接得快", "手脚麻利"], [], [], ["full_time"], (3000, "month"), "medium"),
    ("p02", "徐美娟", "f", 52, "330483101", [H, L], ["taokou", "fengren"], ["毛衫厂套口做了八年", "缝盘也会一点"], [], ["manufacturing"], ["full_time", "part_time"], None, "light"),
    ("p03", "朱丽芳", "f", 46, "330481101", [H], ["yanbu", "zhijian"], ["以前在许村布厂验布", "眼睛还可以，疵点看得出"], [], [], ["full_time"], (3200, "month"), "light"),
    ("p04", "钱桂英", "f", 56, "330402101", [H], ["houdao", "tangyi"], ["服装厂剪线头、整烫都做过", "在平湖做过几年"], [], [], ["full_time", "part_time"], None, "light"),
    ("p05", "陆建华", "m", 40, "330421002", [H], ["zhijian", "yanbu"], ["做过zj", "挑次品很仔细"], [], [], ["full_time"], (3500, "month"), "medium"),
    ("p06", "顾国强", "m", 51, "330482108", [H, Z], ["dianhan"], ["电焊烧过十来年", "二保焊、氩弧焊都碰过"], [], ["manufacturing"], ["full_time"], (5000, "month"), "heavy"),
    ("p07", "吴晓燕", "f", 35, "330421003", [H, D], ["hanxi", "zhijian"], ["电子厂焊锡三年", "焊线路板，手稳"], [], [], ["full_time"], None, "light"),
    ("p08", "周海明", "m", 45, "330424001", [H], ["guanzhuang", "baozhuang"], ["在饮料厂流水线上装瓶子", "灌装机看得来"], [], [], ["full_time"], (3800, "month"), "medium"),
    ("p09", "褚秋萍", "f", 52, "330402009", [H, L], ["tangyi", "houdao"], ["在洗衣店熨衣服", "烫平机会开"], [], [], ["part_time"], (20, "hour"), "medium"),
    ("p10", "姚雪芬", "f", 56, "330411002", [H], ["shitang", "xiwan"], ["在学校食堂打饭洗菜", "以前还在饭店配过菜"], ["health_cert"], ["catering"], ["full_time"], None, "medium"),
    ("p11", "王金根", "m", 57, "330402008", [H], ["xiwan", "shitang"], ["在饭店洗过碗", "能吃苦"], ["health_cert"], [], ["full_time", "part_time"], None, "medium"),
    ("p12", "蒋福林", "m", 57, "330481001", [H], ["guolu", "bengfang"], ["在厂里烧锅炉二十年", "有司炉证"], [], [], ["full_time"], (3500, "month"), "medium"),
    ("p13", "张阿毛", "m", 61, "330402012", [H], ["bengfang", "yejian"], ["小区泵房看过三年", "值班巡查都行"], [], [], ["full_time"], None, "light"),
    ("p14", "李荣根", "m", 52, "330411106", [H, Z], ["yejian", "bengfang"], ["晚上看厂子", "守夜不怕熬"], [], ["security"], ["full_time"], None, "light"),
    ("p15", "金伟东", "m", 45, "330402105", [H], ["c1siji", "sanlun"], ["有C1本子", "开过面包车送货"], ["driver_c1"], [], ["full_time"], (4500, "month"), "medium"),
    ("p16", "孙志刚", "m", 46, "330421111", [H], ["bsiji", "c1siji"], ["有B照，开过中型货车", "跑过长途"], ["driver_c1"], ["driving"], ["full_time"], (6000, "month"), "medium"),
    ("p17", "马德兴", "m", 51, "330483001", [H, L], ["sanlun"], ["骑三轮给人送桶装水", "力气还有"], [], [], ["full_time", "part_time"], None, "medium"),
    ("p18", "杨俊", "m", 34, "330481103", [H, D], ["fenjian", "baozhuang"], ["快递站分过件", "扫描上架都会"], [], [], ["full_time", "part_time"], None, "medium"),
    ("p19", "冯长林", "m", 45, "330482101", [H], ["zhuangxie", "fenjian"], ["码头扛过包", "身体好，力气大"], [], [], ["full_time", "gig"], None, "heavy"),
    ("p20", "曹建平", "m", 46, "330402100", [H], ["chache", "zhuangxie"], ["开过叉车", "仓库里上下货"], ["driver_forklift"], [], ["full_time"], (4000, "month"), "medium"),
    ("p21", "潘凤英", "f", 57, "330402007", [H, L], ["baojie"], ["在小区扫楼道", "拖地擦电梯"], [], ["cleaning"], ["full_time", "part_time"], None, "medium"),
    ("p22", "严水根", "m", 56, "330482103", [H], ["hedao", "lvhua"], ["撑船捞水草", "在河上干了好几年"], [], [], ["full_time"], None, "medium"),
    ("p23", "陈阿三", "m", 52, "330483100", [H], ["lvhua", "guoyuan"], ["给厂里修过树、打过药", "花花草草弄得来"], [], [], ["full_time", "seasonal"], None, "medium"),
    ("p24", "俞小妹", "f", 57, "330421102", [H, L], ["guoyuan", "lvhua"], ["种葡萄、桃子", "套袋摘果子都会"], [], ["agriculture"], ["seasonal", "full_time"], None, "medium"),
    ("p25", "屠雪琴", "f", 51, "330424101", [H], ["yanglao"], ["服侍瘫在床上的老父亲五年", "翻身擦洗都会"], [], [], ["full_time"], (4000, "month"), "medium"),
    ("p26", "何素珍", "f", 45, "330411005", [H], ["yuer"], ["带过两个外孙", "会做辅食"], ["health_cert"], ["childcare"], ["full_time"], None, "medium"),
    ("p27", "方丽华", "f", 40, "330481003", [H, D], ["fengren", "taokou"], ["车间里踩平车", "坐着的活都行"], [], [], ["full_time"], None, "light"),
    ("p28", "邵根宝", "m", 61, "330424004", [H], ["tingche", "yejian"], ["在菜场门口看车收费", "会用手机扫码收钱"], [], [], ["full_time", "part_time"], None, "light"),
    ("p29", "柳翠萍", "f", 46, "330411103", [H, D], ["shougong"], ["在家串珠子、做绢花", "坐得住"], [], [], ["part_time", "gig"], None, "light"),
    ("p30", "高燕", "f", 35, "330482001", [H], ["wangge"], ["在村里帮忙登记人口", "会用电脑、手机填表"], [], ["community_assistant"], ["full_time"], None, "light"),
    ("p31", "邹小龙", "m", 40, "330402010", [H], ["lihuo"], ["超市上货补货", "夜班也行"], [], [], ["full_time", "part_time"], None, "medium"),
    ("p32", "陶婷", "f", 34, "330421001", [H], ["daogou"], ["卖过衣服，会跟顾客打交道", "想做销售"], [], ["retail"], ["full_time"], None, "medium"),
    ("p33", "郑永明", "m", 51, "330483107", [H], ["diangong", "guolu"], ["厂里修电的", "高低压都懂一点"], ["electrician"], [], ["full_time"], (4500, "month"), "medium"),
    ("p34", "黄桂花", "f", 57, "330402013", [H, L], ["@cleaning"], ["啥都能干"], [], ["cleaning"], ["full_time", "part_time"], None, "medium"),
    ("p35", "戴国平", "m", 52, "330411105", [H, Z], ["@warehouse"], ["力气活都行"], [], ["warehouse"], ["full_time", "gig"], None, "heavy"),
    ("p36", "施美英", "f", 46, "330424102", [H, L], ["shougong"], ["会一点手工", "以前在海盐做过"], [], [], ["part_time", "gig", "full_time"], None, "light"),
    ("p37", "沈林宝", "m", 57, "330482106", [H], ["guoyuan", "lvhua"], ["种田", "还会开拖拉机", "帮人看过鱼塘"], [], [], ["full_time", "seasonal"], None, "medium"),
    ("p40", "范志强", "m", 46, "330402015", [H], ["chushi", "shitang"], ["以前在饭店烧过菜", "想自己开个早餐店"], ["health_cert"], [], ["full_time"], None, "medium"),
]
# People who must get nothing: (key, name, sex, age, street, trade, skills, status, willingness)
UNMATCHABLE = [
    ("p38", "陆阿狗", "m", 45, "330411101", "dangche", ["挡车工做了二十年"], "employed", "now"),
    ("p39", "吴彩娥", "f", 52, "330402008", "xiwan", ["饭店洗碗"], "unemployed", "later"),
]
SERVICE_NEEDS = {"p40": ["job", "entrepreneurship"]}

# ---------------------------------------------------------------- helpers
SITES = ["工业园区", "社区服务中心", "物流园", "花园小区", "农贸市场", "科技园", "商贸城", "村委会旁"]
TIMES = ["上班时间8:00-17:00，中午管一顿饭。", "两班倒，每月休4天，提供工作服。", "做六休一，包午餐，离公交站近。",
         "时间可以商量，按时发工资。", "每天工作8小时，加班另算。"]
SURNAMES = "沈朱徐钱陆顾吴周褚姚王蒋张李金孙马杨冯曹潘严陈俞屠何方邵柳高邹陶郑黄戴施范"


def regions():
    rows = list(csv.DictReader(open(REGIONS_CSV, encoding="utf-8")))
    name = {r["code"]: r["name"] for r in rows}
    streets = {}
    for r in rows:
        if r["level"] == "street":
            streets.setdefault(r["parent"], []).append(r["code"])
    return name, streets


def id_number(county, birth, seq):
    body = f"{county}{birth:%Y%m%d}{seq:03d}"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


def age_on(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


PHYS = {"light": 1, "medium": 2, "heavy": 3}


def monthly(amount, unit):
    return {"month": amount, "day": amount * 22, "hour": amount * 8 * 22}.get(unit)


def main(out):
    rnd = random.Random(20261201)
    name, streets = regions()
    county_of = lambda code: code[:6]
    people = []
    for (key, nm, sex, age, street, groups, trades, skills, certs, cats, avail, pay, phys) in PEOPLE:
        people.append(dict(key=key, name=nm, sex=sex, age=age, street=street, groups=groups, trades=trades,
                           skills=skills, certs=certs, cats=cats, avail=avail, pay=pay, phys=phys,
                           status="unemployed", will="now"))
    for (key, nm, sex, age, street, trade, skills, status, will) in UNMATCHABLE:
        people.append(dict(key=key, name=nm, sex=sex, age=age, street=street, groups=[H], trades=[trade],
                           skills=skills, certs=[], cats=[], avail=["full_time"], pay=None, phys="medium",
                           status=status, will=will))
    people.sort(key=lambda p: p["key"])

    # ---- jobs: per trade, two in the county of each of its main people
    # (one on their street), one elsewhere, and more for busy trades.
    jobs = []
    types_cycle = ["full_time", "full_time", "part_time", "full_time", "gig", "full_time"]
    age_caps = [None, 60, 55, 65, 50, 60, None]
    counties = sorted(streets)

    def add_job(trade, street, n, closed=False, etype=None, cap=-1):
        cat, titles, duties, skills, cert, phys, _near = TRADES[trade]
        etype = etype or types_cycle[(n + len(jobs)) % len(types_cycle)]
        if trade in ("guoyuan",):
            etype = ["seasonal", "full_time", "seasonal"][n % 3]
        if trade == "shougong":
            etype = ["gig", "part_time"][n % 2]
        if etype == "part_time" or etype == "gig":
            pay = {"min": 18 + n % 5, "max": 22 + n % 6, "unit": "hour"}
        else:
            base = {"dianhan": 5500, "bsiji": 6500, "c1siji": 4800, "diangong": 5000, "chache": 4800,
                    "zhuangxie": 4500}.get(trade, 3000)
            lo = base + 100 * (len(jobs) % 7)
            pay = {"min": lo, "max": lo + 600 + 100 * (n % 4), "unit": "month"}
        if trade == "shougong":
            pay = {"min": 1, "max": 3, "unit": "piece"}
        county = county_of(street)
        desc = " ".join([duties[0], duties[1] if len(duties) > 1 else "", TIMES[len(jobs) % len(TIMES)],
                         f"工作地点在{name[county]}{name[street]}。"]).replace("  ", " ").replace(" ", "")
        req = {"physical": phys, "skills": skills}
        cap = age_caps[len(jobs) % len(age_caps)] if cap == -1 else cap
        if cap:
            req["age_max"] = cap
        req["age_min"] = 18
        if cert:
            req["certificates"] = [cert]
        j = dict(key=f"j{len(jobs) + 1:03d}", trade=trade, distractor=False, invest=False,
                 title=titles[n % len(titles)], description=desc,
                 source=["employer", "gig_market", "community", "employer"][len(jobs) % 4],
                 category=cat, employment_type=etype, pay=pay, region_code=street,
                 address=f"嘉兴市{name[county]}{name[street]}{SITES[len(jobs) % len(SITES)]}",
                 headcount=1 + len(jobs) % 6, requirements=req,
                 disability_friendly=trade in ("shougong", "hanxi", "fengren", "zhijian") and n % 2 == 0,
                 contact={"name": f"{SURNAMES[len(jobs) % len(SURNAMES)]}师傅",
                          "phone": f"13{rnd.randint(0, 9)}{rnd.randint(10000000, 99999999)}"},
                 closed=closed)
        if trade in ("hedao", "lvhua", "baojie", "wangge") and n % 2 == 1:
            j["source"] = "public_welfare"
        jobs.append(j)

    for trade in TRADES:
        mains = [p for p in people if p["trades"][0] == trade and p["status"] == "unemployed" and p["will"] == "now"]
        homes = []
        for p in mains:
            if p["street"] not in homes:
                homes.append(p["street"])
        if not homes:  # a trade only some people have as a second one
            others = [p for p in people if trade in p["trades"]]
            homes = [others[0]["street"]] if others else [streets[counties[len(jobs) % len(counties)]][0]]
        n = 0
        for street in homes:
            county = county_of(street)
            add_job(trade, street, n, etype="full_time", cap=[None, 65][n % 2])
            n += 1
            other = [s for s in streets[county] if s != street]
            add_job(trade, other[(len(jobs) * 7) % len(other)], n, etype="full_time", cap=[60, None][n % 2])
            n += 1
        far = [c for c in counties if c not in {county_of(s) for s in homes}]
        fc = far[len(jobs) % len(far)]
        add_job(trade, streets[fc][len(jobs) % len(streets[fc])], n)
        n += 1
        # a third job near home for the trade's first person (another type or age limit)
        county = county_of(homes[0])
        add_job(trade, rnd.choice(streets[county]), n, closed=(len(jobs) % 9 == 4), cap=55)

    # ---- people with thin records: jobs of their category near home
    for p in people:
        if p["trades"][0].startswith("@"):
            cat = p["trades"][0][1:]
            near = [t for t in TRADES if TRADES[t][0] == cat and not TRADES[t][4]]
            add_job(near[0], p["street"], 0, etype="full_time", cap=None)
            other = [s for s in streets[county_of(p["street"])] if s != p["street"]]
            add_job(near[-1], other[len(jobs) % len(other)], 1, etype="full_time", cap=65)

    # ---- distractors, in the county of the people of the trade they talk about
    for (trade, title, cat, desc, invest) in DISTRACTORS:
        holders = [p for p in people if p["trades"][0] == trade] or [p for p in people if trade in p["trades"]]
        street = holders[len(jobs) % len(holders)]["street"]
        county = county_of(street)
        jobs.append(dict(key=f"j{len(jobs) + 1:03d}", trade=trade, distractor=True, invest=invest, title=title,
                         description=desc + f"公司在{name[county]}{name[street]}。", source="employer",
                         category=cat, employment_type="full_time",
                         pay={"min": 3000 + 200 * (len(jobs) % 5), "max": 8000 + 500 * (len(jobs) % 4), "unit": "month"},
                         region_code=street, address=f"嘉兴市{name[county]}{name[street]}{SITES[len(jobs) % len(SITES)]}",
                         headcount=2 + len(jobs) % 4, requirements={"age_min": 18, "age_max": 60, "physical": "light"},
                         disability_friendly=False,
                         contact={"name": f"{SURNAMES[len(jobs) % len(SURNAMES)]}经理",
                                  "phone": f"15{rnd.randint(0, 9)}{rnd.randint(10000000, 99999999)}"},
                         closed=False))
    # Two distractor sales jobs in 嘉善 for the person who asks for sales work.
    assert len(jobs) >= 150, len(jobs)

    # ---- people as API bodies
    for i, p in enumerate(people):
        birth = dt.date(REF.year - p["age"], 1 + i % 11, 3 + i % 25)
        assert age_on(birth, REF) == p["age"] and age_on(birth, LATER) == p["age"] + 2
        p["birth"] = birth
        seq = (2 * i + 11) if p["sex"] == "m" else (2 * i + 12)
        p["id"] = id_number(county_of(p["street"]), birth, seq)

    def accepts(p, job):
        return county_of(job["region_code"]) == county_of(p["street"])

    def broken(p, job, day):
        if p["status"] not in ("unemployed", "flexible"):
            return "employed"
        if p["will"] != "now":
            return "not_willing"
        if job["closed"]:
            return "closed"
        if not accepts(p, job):
            return "region"
        age = age_on(p["birth"], day)
        r = job["requirements"]
        if ("age_max" in r and age > r["age_max"]) or ("age_min" in r and age < r["age_min"]):
            return "age"
        if any(c not in p["certs"] for c in r.get("certificates", [])):
            return "certificate"
        if PHYS[r.get("physical", "light")] > PHYS[p["phys"] or "medium"]:
            return "physical"
        return None

    def fits_time(p, job):
        return not p["avail"] or job["employment_type"] in p["avail"]

    def fits_pay(p, job):
        if not p["pay"] or job["pay"]["unit"] == "piece":
            return True
        want = monthly(*p["pay"])
        return monthly(job["pay"]["max"], job["pay"]["unit"]) >= want

    def grade(p, job):
        """The grade by construction (None: not judged)."""
        main = p["trades"][0]
        if job["distractor"]:
            if job["invest"]:
                return 0 if job["trade"] in p["trades"] else None
            # Selling is the work this person asks for.
            if main == "daogou":
                return 1
            return 0 if job["trade"] in p["trades"] else None
        if main.startswith("@"):  # thin record: category, place and time
            if job["category"] != main[1:]:
                return None
            g = 3 if job["region_code"] == p["street"] else 2
        elif job["trade"] == main:
            g = 3
        elif job["trade"] in p["trades"][1:] or job["trade"] in TRADES[main][6]:
            g = 2
        elif job["category"] == TRADES[main][0]:
            g = 1
        else:
            return None
        if not fits_time(p, job):
            g -= 1
        if not fits_pay(p, job):
            g -= 1
        return max(g, 0) if g > 0 else None

    judgments, forbidden = [], []
    for p in people:
        for job in jobs:
            rule = broken(p, job, REF)
            if rule is not None or broken(p, job, LATER) is not None:
                assert rule == broken(p, job, LATER), (p["key"], job["key"])
                forbidden.append((p["key"], job["key"], rule))
                continue
            g = grade(p, job)
            if g is not None:
                judgments.append((p["key"], job["key"], g))
    for p in people:
        if p["status"] == "unemployed" and p["will"] == "now":
            good = [j for (pk, j, g) in judgments if pk == p["key"] and g >= 2]
            if len(good) < 2: print("short", p["key"], good, [(j, r) for (pk, j, r) in forbidden if pk == p["key"] and r != "region"])

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "jobs.jsonl"), "w", encoding="utf-8") as f:
        for j in jobs:
            body = {k: j[k] for k in ("key", "title", "description", "source", "category", "employment_type", "pay",
                                      "region_code", "address", "headcount", "requirements", "disability_friendly",
                                      "contact")}
            if j["closed"]:
                body["close_after_create"] = True
            f.write(json.dumps(body, ensure_ascii=False) + "\n")
    with open(os.path.join(out, "persons.jsonl"), "w", encoding="utf-8") as f:
        for i, p in enumerate(people):
            body = {"key": p["key"], "id_number": p["id"], "name": p["name"],
                    "phone": f"1{[3, 5, 7, 8, 9][i % 5]}{(i * 7919) % 10**9:09d}", "region_code": p["street"],
                    "groups": p["groups"], "employment_status": p["status"], "willingness": p["will"],
                    "service_needs": SERVICE_NEEDS.get(p["key"], ["job"]), "skills": p["skills"],
                    "certificates": p["certs"], "preferred_categories": p["cats"], "preferred_regions": [],
                    "availability": p["avail"], "physical_limit": p["phys"],
                    "consent": {"push": True, "share_with_agencies": True}}
            if p["pay"]:
                body["expected_pay"] = {"min": p["pay"][0], "unit": p["pay"][1]}
            f.write(json.dumps(body, ensure_ascii=False) + "\n")
    with open(os.path.join(out, "judgments.tsv"), "w", encoding="utf-8") as f:
        f.write("person\tjob\tgrade\n")
        for row in judgments:
            f.write("\t".join(map(str, row)) + "\n")
    with open(os.path.join(out, "forbidden.tsv"), "w", encoding="utf-8") as f:
        f.write("person\tjob\trule\n")
        for row in forbidden:
            f.write("\t".join(map(str, row)) + "\n")
    by_grade = {g: sum(1 for r in judgments if r[2] == g) for g in (3, 2, 1, 0)}
    print(json.dumps({"jobs": len(jobs), "distractors": sum(j["distractor"] for j in jobs),
                      "closed": sum(j["closed"] for j in jobs), "persons": len(people),
                      "judgments": len(judgments), "by_grade": by_grade, "forbidden": len(forbidden)},
                     ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "eval/jiaxing-voices")
