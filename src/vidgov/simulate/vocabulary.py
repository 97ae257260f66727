"""The words Guangxi camera catalogs are written in, and how clerks put them together.

Why a vocabulary: a synthetic estate is only useful for testing the importer, the audit and the
cockpit if its records look like the spreadsheets people really send in — road crossings with a
direction, station entrances, village committee gates, carriers' branch names, camera models and
their RTSP paths. Everything here is plain data: :mod:`vidgov.simulate.texts` puts it
together and the generator (:mod:`vidgov.simulate.estate`) decides which record gets what.

Place names are real where they are well known (main roads, stations, airports, scenic areas);
the rest is built from the division names, the way clerks name points after the district.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import numpy.typing as npt

Texts = npt.NDArray[np.object_]
Ints = npt.NDArray[np.int64]

#: 2020 census population (万人) per prefecture-level city: what the camera counts follow.
CITY_POPULATION: Final[Mapping[str, int]] = {
    "450100": 874, "450200": 416, "450300": 493, "450400": 282, "450500": 185,
    "450600": 105, "450700": 330, "450800": 432, "450900": 580, "451000": 357,
    "451100": 201, "451200": 342, "451300": 207, "451400": 209,
}

#: Telephone area code per city (贵港 shares 0775 with 玉林, 贺州 0774 with 梧州 ...).
AREA_CODES: Final[Mapping[str, str]] = {
    "450100": "0771", "450200": "0772", "450300": "0773", "450400": "0774", "450500": "0779",
    "450600": "0770", "450700": "0777", "450800": "0775", "450900": "0775", "451000": "0776",
    "451100": "0774", "451200": "0778", "451300": "0772", "451400": "0771",
}

#: The admin levels in the order the estate's level index uses.
LEVELS: Final[tuple[str, ...]] = ("region", "city", "county", "township", "village")
#: Share of cameras registered at each level (区/市/县/乡镇/村).
LEVEL_SHARES: Final[tuple[float, ...]] = (0.005, 0.10, 0.445, 0.30, 0.15)
#: Urban districts of Nanning, where most region-level (自治区) cameras hang.
NANNING_CORE: Final[tuple[str, ...]] = ("450102", "450103", "450105", "450107", "450108")

PLACE_TYPES: Final[tuple[str, ...]] = (
    "道路路口", "城市广场", "车站", "机场", "旅游景区", "学校", "农贸市场", "村委会",
    "党政机关", "医院", "商业街", "小区出入口", "公园", "码头",
)
ROAD, PLAZA, STATION, AIRPORT, SCENIC, SCHOOL, MARKET, VILLAGE_OFFICE = range(8)
GOVERNMENT, HOSPITAL, SHOPPING, ESTATE, PARK, DOCK = range(8, 14)

#: Place-type mix per naming context: Nanning core (region), city, county, township, village.
PLACE_MIX: Final[Mapping[str, Mapping[int, float]]] = {
    "region": {ROAD: 0.45, GOVERNMENT: 0.25, PLAZA: 0.12, STATION: 0.10, AIRPORT: 0.08},
    "city": {ROAD: 0.50, PLAZA: 0.06, STATION: 0.06, AIRPORT: 0.03, SCENIC: 0.07,
             SCHOOL: 0.04, HOSPITAL: 0.05, SHOPPING: 0.06, PARK: 0.06, DOCK: 0.03,
             GOVERNMENT: 0.04},
    "county": {ROAD: 0.42, PLAZA: 0.04, STATION: 0.04, SCENIC: 0.04, SCHOOL: 0.10,
               MARKET: 0.07, GOVERNMENT: 0.05, HOSPITAL: 0.06, SHOPPING: 0.05, ESTATE: 0.09,
               PARK: 0.04},
    "township": {ROAD: 0.45, MARKET: 0.15, SCHOOL: 0.15, GOVERNMENT: 0.10, HOSPITAL: 0.07,
                 ESTATE: 0.05, PLAZA: 0.03},
    "village": {VILLAGE_OFFICE: 0.55, ROAD: 0.30, SCHOOL: 0.10, PLAZA: 0.05},
}

#: Point class (一/二/三类) probabilities per place type: key places are 一类, villages 三类.
POINT_CLASS_MIX: Final[Mapping[int, tuple[float, float, float]]] = {
    **dict.fromkeys(range(len(PLACE_TYPES)), (0.15, 0.65, 0.2)),
    **dict.fromkeys((PLAZA, STATION, AIRPORT, GOVERNMENT), (0.6, 0.35, 0.05)),
    **dict.fromkeys((VILLAGE_OFFICE, MARKET, ESTATE), (0.02, 0.2, 0.78)),
}

GENERIC_ROADS: Final[tuple[str, ...]] = (
    "人民路", "解放路", "中山路", "建设路", "新华路", "文化路", "和平路", "胜利路", "友谊路",
    "城东大道", "城西大道", "城北路", "城南路", "环城路", "滨江路", "江滨路", "民主路", "新民路",
    "青年路", "工业大道", "站前路", "迎宾大道", "教育路", "公园路", "东风路", "红旗路", "光明路",
    "长安路", "沿江路", "体育路", "府前路", "兴业路", "金山路", "龙腾路", "振兴路", "朝阳路",
    "东环路", "西环路", "北环路", "南环路", "健康路", "育才路", "商贸路", "凤凰路", "桂花路",
)

CITY_ROADS: Final[Mapping[str, tuple[str, ...]]] = {
    "450100": ("民族大道", "竹溪大道", "朝阳路", "友爱路", "大学东路", "星光大道", "五象大道",
               "金湖路", "东葛路", "长湖路", "青秀路", "中华路", "北湖路", "明秀西路",
               "秀厢大道", "白沙大道", "江南大道", "亭洪路", "银海大道", "仙葫大道", "邕武路",
               "安吉大道", "园湖路", "桃源路", "七星路", "人民东路", "古城路", "凤岭北路"),
    "450200": ("潭中东路", "潭中西路", "文昌路", "屏山大道", "柳石路", "东环大道", "广场路",
               "五一路", "飞鹅路", "航生路", "跃进路", "桂中大道", "白沙路", "柳长路", "龙城路",
               "三中路", "革新路", "北雀路"),
    "450300": ("中山中路", "解放西路", "漓江路", "穿山路", "七星路", "西城路", "万福路",
               "凤北路", "安新北路", "骖鸾路", "滨江路", "翠竹路", "施家园路", "铁山路",
               "乐群路", "信义路", "西城大道", "临桂大道"),
    "450400": ("新兴一路", "新兴二路", "西江一路", "大学路", "南环路", "高旺路", "蝶山一路",
               "大中路", "工业大道", "龙圩大道"),
    "450500": ("北部湾中路", "北京路", "四川路", "长青路", "海角路", "西藏路", "云南路",
               "贵州路", "重庆路", "广东路", "银滩大道"),
    "450600": ("兴港大道", "金花茶大道", "迎宾路", "西湾大道", "珠河路", "北部湾大道"),
    "450700": ("永福大街", "扬帆大道", "南珠大街", "钦州湾大道", "北部湾大街", "文峰路",
               "新兴街", "子材大街"),
    "450800": ("中山路", "荷城路", "金港大道", "江南大道", "港北大道", "厚禄路", "建设中路"),
    "450900": ("教育中路", "人民中路", "一环东路", "二环北路", "玉东大道", "江岸路",
               "民主中路", "城站路"),
    "451000": ("向阳路", "城东大道", "站前大道", "中山二路", "东合路", "龙景大道", "百东路"),
    "451100": ("建设路", "八达路", "太白路", "灵峰路", "光明大道", "西约街"),
    "451200": ("金城路", "新建路", "南新路", "东江路", "金城中路", "环城东路"),
    "451300": ("桂中大道", "红水河大道", "城北路", "盘古大道", "华侨大道", "政和路"),
    "451400": ("友谊大道", "江州大道", "石景林路", "新民路", "城南大道", "佛子大道"),
}

TOWN_STREETS: Final[tuple[str, ...]] = (
    "新街", "老街", "圩亭路", "中心街", "府前路", "民族路", "平安路", "兴业街", "商贸街",
    "东街", "西街", "南街", "北街", "新华街", "车站路", "解放街",
)

#: What clerks add to tell cameras at one spot apart (dome, bullet, face capture, high point).
CAMERA_QUALIFIERS: Final[tuple[str, ...]] = ("", "", "", "", "球机", "枪机", "人脸", "高点")
DIRECTIONS: Final[tuple[str, ...]] = (
    "东向西", "西向东", "南向北", "北向南", "东北角", "东南角", "西北角", "西南角", "全景",
    "东侧", "西侧", "南侧", "北侧", "由东往西", "由南往北", "出口", "入口",
)
HIGHWAYS: Final[tuple[str, ...]] = (
    "G72泉南高速", "G75兰海高速", "G80广昆高速", "G65包茂高速", "G78汕昆高速",
    "G7201南宁绕城高速", "G59呼北高速", "S21玉林至铁山港高速",
)
CHINESE_ORDINALS: Final[tuple[str, ...]] = ("一", "二", "三", "四", "五", "六", "七", "八")
ESTATES: Final[tuple[str, ...]] = (
    "阳光花园", "金湖帝景", "翡翠园", "锦绣华庭", "书香苑", "江景湾", "碧桂园", "幸福里",
    "山水名城", "御景湾", "富丽华庭", "龙湖小区", "恒大城", "华润中心小区", "桂花园",
    "凤凰城", "荔园小区", "东盟花园", "水岸名都", "滨江花园",
)

#: Spots clerks append to a venue's name, per place type.
SPOTS: Final[Mapping[int, tuple[str, ...]]] = {
    PLAZA: ("北入口", "南入口", "东入口", "西入口", "中心", "东侧", "西侧", "舞台区",
            "停车场出入口", "全景"),
    STATION: ("进站口", "出站口", "候车厅", "售票厅", "站前广场", "停车场出入口",
              "出租车上客区", "进站安检口"),
    AIRPORT: ("T1出发层", "T2出发层", "T2到达层", "到达层", "出发层", "停车场入口",
              "航站楼前", "安检区", "行李提取厅", "出租车上客区"),
    SCENIC: ("大门", "游客中心", "售票处", "停车场", "入口", "出口", "观景台", "码头"),
    SCHOOL: ("大门", "校门口", "东门", "北门", "南门", "操场", "门口"),
    MARKET: ("入口", "出口", "东门", "西门", "门口", "内部"),
    VILLAGE_OFFICE: ("门口", "大门", "前坪", "篮球场", "文化室", "路口"),
    GOVERNMENT: ("大门", "东门", "西门", "北门", "办事大厅", "门口", "停车场"),
    HOSPITAL: ("大门", "门诊楼", "急诊入口", "住院部", "停车场出入口", "东门"),
    SHOPPING: ("东入口", "西入口", "南入口", "北入口", "中段", "路口"),
    ESTATE: ("东门", "西门", "南门", "北门", "正门", "地下车库入口", "侧门"),
    PARK: ("正门", "东门", "西门", "南门", "北门", "湖边", "广场"),
    DOCK: ("入口", "候船厅", "售票厅", "停车场", "栈桥"),
}

#: Well-known venues per city; a city without one for a type falls back to road crossings
#: (airport, dock) or to names built from the county (everything else).
CITY_VENUES: Final[Mapping[int, Mapping[str, tuple[str, ...]]]] = {
    PLAZA: {"450100": ("五象广场", "民族广场", "朝阳广场", "南宁国际会展中心广场"),
            "450200": ("柳州市人民广场", "柳州市民广场"), "450300": ("桂林中心广场",),
            "450500": ("北海北部湾广场",), "450900": ("玉林市民广场",)},
    STATION: {"450100": ("南宁东站", "南宁站", "南宁火车站", "琅东汽车站", "埌东客运站"),
              "450200": ("柳州站", "柳州汽车总站"), "450300": ("桂林北站", "桂林站", "桂林西站"),
              "450400": ("梧州南站", "梧州汽车总站"), "450500": ("北海站",),
              "450600": ("防城港北站",), "450700": ("钦州东站",), "450800": ("贵港站",),
              "450900": ("玉林站", "玉林汽车总站"), "451000": ("百色站",),
              "451100": ("贺州站",), "451200": ("河池西站",), "451300": ("来宾北站",),
              "451400": ("崇左南站",)},
    AIRPORT: {"450100": ("南宁吴圩国际机场",), "450200": ("柳州白莲机场",),
              "450300": ("桂林两江国际机场",), "450400": ("梧州西江机场",),
              "450500": ("北海福成机场",), "450900": ("玉林福绵机场",),
              "451000": ("百色巴马机场",), "451200": ("河池金城江机场",)},
    SCENIC: {"450100": ("青秀山风景区", "南宁动物园", "大明山景区", "扬美古镇"),
             "450200": ("窑埠古镇", "龙潭公园景区", "百里柳江景区"),
             "450300": ("象山景区", "七星景区", "两江四湖景区", "阳朔西街", "银子岩景区",
                        "龙脊梯田景区"),
             "450400": ("骑楼城景区", "龙母庙景区"), "450500": ("北海银滩景区", "涠洲岛景区",
                                                          "北海老街"),
             "450600": ("京岛风景区", "江山半岛景区"), "450700": ("三娘湾景区", "八寨沟景区"),
             "450800": ("桂平西山景区", "龙潭国家森林公园"), "450900": ("云天文化城",),
             "451000": ("百色起义纪念馆", "通灵大峡谷景区"), "451100": ("黄姚古镇景区",),
             "451200": ("巴马长寿村景区", "小三峡景区"), "451300": ("圣堂山景区",),
             "451400": ("德天跨国瀑布景区", "友谊关景区", "明仕田园景区")},
    HOSPITAL: {"450100": ("南宁市第一人民医院", "南宁市第二人民医院", "广西医科大学第一附属医院",
                          "广西壮族自治区人民医院"),
               "450200": ("柳州市工人医院", "柳州市人民医院"),
               "450300": ("桂林医学院附属医院", "桂林市人民医院")},
    SHOPPING: {"450100": ("中山路美食街", "朝阳步行街", "三街两巷"),
               "450200": ("五星步行街", "窑埠街"), "450300": ("正阳步行街", "东西巷"),
               "450500": ("北海老街",), "450400": ("骑楼街",)},
    PARK: {"450100": ("南湖公园", "人民公园", "狮山公园"), "450200": ("龙潭公园", "鱼峰公园"),
           "450300": ("七星公园", "象山公园")},
    DOCK: {"450100": ("邕江民生码头",), "450200": ("柳江文惠码头",),
           "450300": ("磨盘山码头", "竹江码头"), "450400": ("梧州西江码头",),
           "450500": ("北海国际客运港", "北海侨港码头"), "450600": ("防城港渔港码头",),
           "450700": ("钦州港客运码头",), "450800": ("贵港港码头",)},
    GOVERNMENT: {"region": ("自治区人民政府", "自治区人大常委会", "自治区政协", "自治区公安厅",
                            "广西体育中心", "自治区政务服务中心")},
}

#: Name templates per place type and naming context; {field}s come from the record's context
#: (see :func:`fill`). A base name must not end in a digit: clerks number repeats ("…2", "…3").
NAME_TEMPLATES: Final[Mapping[str, Mapping[int, tuple[str, ...]]]] = {
    # {area}: the county (county cameras), the city (city cameras) or nothing (自治区 cameras)
    "urban": {
        ROAD: ("{area}{road}与{road2}交叉口{dir}", "{area}{road}{road2}路口{dir}",
               "{area}{road}{num}号路段{dir}"),
        PLAZA: ("{area}人民广场{spot}", "{area}文化广场{spot}", "{area}市民广场{spot}"),
        STATION: ("{cshort}汽车站{spot}", "{cshort}客运站{spot}"),
        SCHOOL: ("{area}第{ord}中学{spot}", "{area}{road}小学{spot}", "{area}实验小学{spot}",
                 "{area}职业技术学校{spot}"),
        MARKET: ("{area}{road}农贸市场{spot}", "{area}中心农贸市场{spot}"),
        GOVERNMENT: ("{area}人民政府{spot}", "{area}行政中心{spot}", "{area}政务服务中心{spot}"),
        HOSPITAL: ("{area}人民医院{spot}", "{area}中医医院{spot}", "{area}妇幼保健院{spot}"),
        SHOPPING: ("{area}{road}商业街{spot}", "{area}{road}步行街{spot}"),
        SCENIC: ("{cshort}风景区{spot}", "{cshort}森林公园{spot}", "{area}{estate}景区{spot}"),
        ESTATE: ("{area}{estate}{spot}",),
        PARK: ("{area}人民公园{spot}", "{area}滨江公园{spot}"),
    },
    "township": {
        ROAD: ("{county}{town}{street}与{road}交叉口{dir}", "{county}{town}{street}路口{dir}"),
        PLAZA: ("{county}{town}文化广场{spot}",),
        SCHOOL: ("{county}{town}中心小学{spot}", "{county}{town}初级中学{spot}"),
        MARKET: ("{county}{town}农贸市场{spot}", "{county}{town}圩场{spot}"),
        GOVERNMENT: ("{county}{town}{office}{spot}",),
        HOSPITAL: ("{county}{town}卫生院{spot}",),
        ESTATE: ("{county}{town}{estate}{spot}",),
    },
    "village": {
        ROAD: ("{county}{town}{vshort}路口{dir}", "{county}{town}{vshort}{street}{dir}"),
        PLAZA: ("{county}{town}{vshort}文化广场{spot}",),
        SCHOOL: ("{county}{town}{vshort}小学{spot}",),
        VILLAGE_OFFICE: ("{county}{town}{village}{spot}",),
    },
    # venues known by name (airports, stations, famous plazas): the venue is the name
    "venue": dict.fromkeys(CITY_VENUES, ("{venue}{spot}",)),
    "highway": {ROAD: ("{highway}{cshort}段K{km}+{metre}{updown}",)},
}
#: Address templates per naming context; {full} is the division's full name (区划全称).
ADDRESS_TEMPLATES: Final[Mapping[str, str]] = {
    "urban": "{full}{road}{num}号{tail}", "venue": "{full}{venue}{tail}",
    "township": "{full}{street}{num}号{tail}", "village": "{full}{tail}",
    "highway": "{full}{highway}K{km}+{metre}",
}

ADDRESS_TAILS: Final[tuple[str, ...]] = ("附近", "", "旁", "对面", "附近", "门口")

# --- departments: (template, kind); kind decides the industry code and the 95 % share -----------
PS, TRAFFIC, POLITICAL_LEGAL, STATION_POLICE = "ps", "traffic", "pl", "station"
DEPARTMENTS: Final[Mapping[str, Mapping[str, str]]] = {
    "region": {PS: "广西壮族自治区公安厅", TRAFFIC: "广西壮族自治区公安厅交通警察总队",
               POLITICAL_LEGAL: "自治区党委政法委", STATION_POLICE: "广西壮族自治区公安厅"},
    "city": {PS: "{city}公安局", TRAFFIC: "{city}公安局交通警察支队",
             POLITICAL_LEGAL: "{city}委政法委", STATION_POLICE: "{city}公安局"},
    "district": {PS: "{city}公安局{cshort}分局", TRAFFIC: "{city}公安局交通警察支队{cshort}大队",
                 POLITICAL_LEGAL: "{county}委政法委",
                 STATION_POLICE: "{city}公安局{cshort}分局{tshort}派出所"},
    "county": {PS: "{county}公安局", TRAFFIC: "{county}公安局交通管理大队",
               POLITICAL_LEGAL: "{county}委政法委", STATION_POLICE: "{county}公安局{tshort}派出所"},
}
#: Other owners (≈5 %), chosen by place type; none may contain 公安 or 政法.
OTHER_DEPARTMENTS: Final[Mapping[int, tuple[str, str]]] = {
    SCHOOL: ("{owner}教育局", "11"), SCENIC: ("{owner}文化广电和旅游局", "03"),
    PARK: ("{owner}文化广电和旅游局", "03"), STATION: ("{owner}交通运输局", "04"),
    AIRPORT: ("{owner}交通运输局", "04"), DOCK: ("{owner}交通运输局", "04"),
}
URBAN_MANAGEMENT: Final[tuple[str, str]] = ("{owner}城市管理综合执法局", "08")
REGION_OTHER: Final[Mapping[int, tuple[str, str]]] = {
    SCHOOL: ("广西壮族自治区教育厅", "11"), SCENIC: ("广西壮族自治区文化和旅游厅", "03"),
    PARK: ("广西壮族自治区文化和旅游厅", "03"),
    **dict.fromkeys((ROAD, STATION, AIRPORT, DOCK), ("广西壮族自治区交通运输厅", "04")),
}
REGION_URBAN: Final[tuple[str, str]] = ("广西壮族自治区住房和城乡建设厅", "08")
#: Owner kinds per level; "other" (transport, tourism, education, urban management) ≈ 4.5 %.
DEPARTMENT_MIX: Final[Mapping[str, Mapping[str, float]]] = {
    "region": {PS: 0.43, TRAFFIC: 0.30, POLITICAL_LEGAL: 0.225, "other": 0.045},
    "city": {PS: 0.33, TRAFFIC: 0.35, POLITICAL_LEGAL: 0.275, "other": 0.045},
    "county": {PS: 0.42, TRAFFIC: 0.15, POLITICAL_LEGAL: 0.385, "other": 0.045},
    "township": {STATION_POLICE: 0.40, POLITICAL_LEGAL: 0.555, "other": 0.045},
    "village": {STATION_POLICE: 0.155, POLITICAL_LEGAL: 0.80, "other": 0.045},
}
#: GB/T 28181 industry codes (and their odds) each owner kind registers under.
INDUSTRIES: Final[Mapping[str, tuple[tuple[str, ...], tuple[float, ...]]]] = {
    PS: (("00", "01"), (0.85, 0.15)), TRAFFIC: (("04", "05"), (0.6, 0.4)),
    POLITICAL_LEGAL: (("01", "00"), (0.6, 0.4)), STATION_POLICE: (("01", "00"), (0.7, 0.3)),
}
#: GB/T 28181 network codes: police on the video private network (0) or police net (5),
#: political-legal and other owners often on the e-government network (6).
NETWORKS: Final[Mapping[str, tuple[tuple[str, ...], tuple[float, ...]]]] = {
    PS: (("0", "5"), (0.6, 0.4)), TRAFFIC: (("0", "5"), (0.6, 0.4)),
    STATION_POLICE: (("0", "5"), (0.6, 0.4)), POLITICAL_LEGAL: (("0", "6"), (0.5, 0.5)),
    "other": (("6", "0"), (0.8, 0.2)),
}

# --- maintenance -------------------------------------------------------------------------------
CARRIERS: Final[tuple[str, ...]] = (
    "中国电信股份有限公司{cityshort}分公司", "中国移动通信集团广西有限公司{cityshort}分公司",
    "中国联合网络通信有限公司{cityshort}市分公司", "广西广电网络科技发展有限公司{cityshort}分公司",
)
CARRIER_WEIGHTS: Final[tuple[float, ...]] = (0.30, 0.25, 0.15, 0.15, 0.10, 0.05)
LOCAL_FIRMS: Final[tuple[str, ...]] = (
    "{city}安视通信息技术有限公司", "{city}智诚信息技术有限公司", "广西恒通智能科技有限公司",
    "{city}天网信息技术有限公司", "广西华安数字科技有限公司", "{city}博远信息技术有限公司",
    "{city}鑫盾安防工程有限公司", "广西数广科技有限公司",
)

# --- equipment: (names as written, models, main stream path, sub stream path) -------------------
MANUFACTURERS: Final[tuple[tuple[tuple[str, ...], tuple[str, ...], str, str], ...]] = (
    (("海康威视", "杭州海康威视数字技术股份有限公司", "HIKVISION"),
     ("DS-2CD3T47WD-L", "DS-2CD3T46FWDV2-I3", "DS-2CD2T47G2-L", "DS-2DE7423IW-A",
      "DS-2CD3T86FWDV2-I5", "iDS-2CD7A46G0-IZHS"),
     "/Streaming/Channels/101", "/Streaming/Channels/102"),
    (("大华", "浙江大华技术股份有限公司", "Dahua"),
     ("DH-IPC-HFW4433M-I2", "DH-IPC-HFW2431S-S-S2", "DH-SD-6C3230U-HNI", "DH-IPC-HDBW4433R-AS",
      "DH-IPC-HFW5442E-ZE"),
     "/cam/realmonitor?channel=1&subtype=0", "/cam/realmonitor?channel=1&subtype=1"),
    (("宇视", "浙江宇视科技有限公司", "UNV"),
     ("IPC2124LR3-PF40", "IPC3234SR3-DVPF36", "HIC6621EX22-U", "IPC2K24SE-ADF40KM-WL"),
     "/media/video1", "/media/video2"),
    (("华为", "华为技术有限公司", "HUAWEI"),
     ("C3220-10-SIU", "M2140-10-EI", "D2150-10-SIU", "X2221-10-TL"),
     "/LiveMedia/ch1/Media1", "/LiveMedia/ch1/Media2"),
)
MANUFACTURER_WEIGHTS: Final[tuple[float, ...]] = (0.45, 0.30, 0.15, 0.10)

#: How a blank cell is written; None is a truly empty cell.
EMPTY_TOKENS: Final[tuple[str | None, ...]] = (None, "NULL", "无", "-", " ")
EMPTY_WEIGHTS: Final[tuple[float, ...]] = (0.50, 0.10, 0.15, 0.15, 0.10)
