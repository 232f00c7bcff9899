//! What the API's stable English codes are called on the pages.

use jobmatch_core::Role;

pub(crate) fn role(r: Role) -> &'static str {
    match r {
        Role::Admin => "市局管理员",
        Role::Staff => "工作人员",
        Role::Publisher => "岗位发布机构",
        Role::Agency => "人力资源机构",
    }
}

/// The Chinese name of `code` in the list `kind`, or the code itself.
pub(crate) fn name(kind: &str, code: &str) -> String {
    let table: &[(&str, &str)] = match kind {
        "source" => &[
            ("gig_market", "零工市场"),
            ("community", "社区"),
            ("public_welfare", "公益性岗位"),
            ("employer", "用人单位"),
        ],
        "employment_type" => &[("gig", "零工"), ("part_time", "兼职"), ("full_time", "全职"), ("seasonal", "季节性")],
        "pay_unit" => &[("hour", "元/小时"), ("day", "元/天"), ("month", "元/月"), ("piece", "元/件")],
        "physical" => &[("light", "轻体力"), ("medium", "中等体力"), ("heavy", "重体力")],
        "job_status" => &[("open", "招聘中"), ("closed", "已关闭"), ("expired", "已过期")],
        "submission" => &[
            ("not_started", "未报送"),
            ("submitted", "已报送"),
            ("late", "逾期未报送"),
            ("submitted_late", "逾期报送"),
        ],
        "close_reason" => &[("filled", "已招满"), ("withdrawn", "已撤回")],
        "group" => &[
            ("hardship_certified", "就业困难人员"),
            ("low_income_family", "低收入家庭成员"),
            ("disabled", "残疾人"),
            ("zero_employment_family", "零就业家庭成员"),
        ],
        "employment_status" => &[
            ("unemployed", "未就业"),
            ("flexible", "灵活就业"),
            ("employed", "单位就业"),
            ("self_employed", "自主创业"),
            ("public_welfare", "公益性岗位"),
        ],
        "willingness" => &[("now", "现在就想工作"), ("later", "以后再说"), ("not_now", "暂无意愿")],
        "service_need" => &[
            ("job", "岗位推荐"),
            ("training", "技能培训"),
            ("entrepreneurship", "创业服务"),
            ("allowance", "生活补贴"),
            ("guidance", "职业指导"),
        ],
        "certification" => &[
            ("applied", "已申请"),
            ("certified", "已认定"),
            ("rejected", "未通过"),
            ("revoked", "已撤销"),
            ("expired", "已到期"),
        ],
        "referral" => &[
            ("referred", "已推荐"),
            ("contacted", "已联系"),
            ("interviewed", "已面试"),
            ("hired", "已录用"),
            ("rejected", "未录用"),
            ("withdrawn", "已撤回"),
        ],
        "notification" => &[
            ("pending", "待发送"),
            ("held", "暂缓（免打扰时段）"),
            ("sent", "已发送"),
            ("failed", "发送失败待重试"),
            ("dead", "发送失败"),
        ],
        "channel" => &[("sms", "短信"), ("inbox", "站内信"), ("webhook", "机构接口")],
        "field" => &[
            ("name", "姓名"),
            ("phone", "电话"),
            ("region_code", "居住地"),
            ("address", "详细地址"),
            ("groups", "帮扶对象类别"),
            ("employment_status", "就业状态"),
            ("willingness", "就业意愿"),
            ("willingness_reason", "暂无意愿的原因"),
            ("service_needs", "服务需求"),
            ("skills", "技能"),
            ("certificates", "证书"),
            ("preferred_categories", "意向工种"),
            ("preferred_regions", "意向区域"),
            ("expected_pay", "期望薪酬"),
            ("availability", "可接受的用工形式"),
            ("physical_limit", "体力限制"),
            ("consent", "授权"),
            ("plan", "一人一策"),
        ],
        "history_source" => &[
            ("staff", "工作人员"),
            ("import:civil_affairs", "民政名单"),
            ("import:disabled_federation", "残联名单"),
            ("import:unemployment_registry", "失业登记名单"),
            ("certification", "认定"),
            ("placement", "就业登记"),
            ("seeker_page", "本人（岗位通知页面）"),
        ],
        "contact_method" => &[("phone", "电话"), ("visit", "上门走访"), ("meeting", "面谈"), ("message", "短信或微信")],
        "lead" => &[("interested", "对岗位感兴趣"), ("found_work", "已经找到工作")],
        "lead_status" => &[("open", "待处理"), ("referred", "已推荐"), ("closed", "已关闭")],
        "trail" => &[
            ("assigned", "分派给机构"),
            ("unassigned", "结束分派"),
            ("contact", "跟进"),
            ("referral", "推荐"),
            ("placement", "就业"),
            ("placement_ended", "离职"),
            ("insurance", "社保缴纳"),
        ],
        _ => &[],
    };
    table.iter().find(|(c, _)| *c == code).map(|(_, n)| n.to_string()).unwrap_or_else(|| code.to_string())
}

/// (code, name) pairs of the list `kind`, for a select.
pub(crate) fn options(kind: &str, codes: &[&str]) -> Vec<(String, String)> {
    codes.iter().map(|c| (c.to_string(), name(kind, c))).collect()
}

/// The next step of a referral from `status`, as (status, button label).
pub(crate) fn next_referral_step(status: &str) -> Option<(&'static str, &'static str)> {
    match status {
        "referred" => Some(("contacted", "标记为已联系")),
        "contacted" => Some(("interviewed", "标记为已面试")),
        "interviewed" => Some(("hired", "标记为已录用")),
        _ => None,
    }
}
