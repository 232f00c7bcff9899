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
