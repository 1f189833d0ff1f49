/// The vocabulary of the demo world: names and goods as complaint guides about card platforms describe them (game
/// top-up cards, card keys, virtual currency, accounts). Invented; any resemblance is chance.
enum DemoWords {
    static let platformStems = [
        "云游", "星河", "乐玩", "卡盟", "易充", "速点", "游易", "千游", "掌游", "聚宝", "闪充", "畅玩", "九州", "鲸鱼", "青橙",
        "蓝鲸", "极光", "飞鱼", "麦田", "金桔",
    ]
    static let platformSuffixes = ["交易平台", "游戏商城", "点卡网", "虚拟商品城", "数字商城"]
    static let merchantStems = ["诚信", "速达", "优品", "金牌", "老字号", "旗舰", "自营", "星级", "小鹿", "橙子", "闪电", "安心"]
    static let merchantSuffixes = ["点卡店", "游戏专营店", "卡密工作室", "充值中心", "数码店"]
    static let surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"]
    static let givenNames = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "丹", "浩然", "子涵", "欣怡", "宇轩"]
    static let cities = ["北京市朝阳区", "上海市浦东新区", "杭州市西湖区", "广州市天河区", "深圳市南山区", "成都市高新区", "武汉市洪山区", "南京市鼓楼区"]

    struct Product {
        let name: String
        let category: String
        let priceRange: ClosedRange<Int>
        let title: String
        let story: String
    }

    static let products = [
        Product(name: "游戏点卡 100元", category: "non_delivery", priceRange: 9_000...10_000, title: "点卡付款后未发卡密",
                story: "付款成功后页面显示处理中，卡密一直未发放，客服不回复。"),
        Product(name: "游戏点卡 500元", category: "non_delivery", priceRange: 45_000...50_000, title: "充值卡密未到账",
                story: "购买面值500元的点卡，订单显示已完成但没有收到卡密。"),
        Product(name: "游戏币 10000个", category: "non_delivery", priceRange: 5_000...30_000, title: "游戏币未到账",
                story: "下单购买游戏币，卖家称已发货，但游戏内未收到。"),
        Product(name: "手游账号（满级）", category: "not_as_described", priceRange: 20_000...300_000, title: "账号与描述不符",
                story: "购买的账号等级和装备与商品页描述不一致，部分皮肤缺失。"),
        Product(name: "视频会员年卡", category: "not_as_described", priceRange: 10_000...25_000, title: "会员卡密已被使用",
                story: "收到的卡密提示已被使用，无法兑换。"),
        Product(name: "手游代充 648元", category: "service_breach", priceRange: 50_000...64_800, title: "代充超时未完成",
                story: "约定两小时内完成代充，三天后仍未到账，商家拒绝退款。"),
        Product(name: "账号找回服务", category: "service_breach", priceRange: 3_000...20_000, title: "账号被找回",
                story: "购买账号一周后被原号主找回，平台不予处理。"),
        Product(name: "直播平台礼物币", category: "other", priceRange: 1_000...50_000, title: "充值记录异常",
                story: "充值后余额显示异常，扣款与到账金额不符。"),
    ]

    static let answers = ["已核实订单，同意全额退款", "已联系商家补发卡密", "核实后部分退款", "经查卡密已正常发放，请核对"]
    static let reasons = ["订单已按约定交付", "卡密已正常发放并被使用", "超出售后期限"]
    static let messages = ["请尽快处理，谢谢。", "已上传付款截图。", "商家电话一直无人接听。", "请问处理进度如何？"]
}
