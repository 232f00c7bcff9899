//! `jobmatch-bench matching`: a generator of realistic jobs and people of
//! this domain (the categories, titles, skills, duties and streets of
//! Jiaxing), indexing throughput against raw jieba segmentation of the same
//! text, person→jobs and job→people latency, and the same queries answered
//! by PostgreSQL ILIKE / pg_trgm over the same rows.

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use jobmatch_core::config::Settings;
use jobmatch_core::domain::{
    Consent, Contact, EmploymentStatus, EmploymentType, ExpectedPay, Job, JobInput, JobSource, JobStatus, Pay, PayUnit,
    Person, PersonProfile, Physical, Requirements, Willingness,
};
use jobmatch_core::AppState;
use jobmatch_matching::engine::facts::{demand_rank, limit_rank, JobFacts, PersonFacts};
use jobmatch_matching::engine::matcher::Matcher;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// One kind of work: how jobs are written and how people describe themselves.
struct Kind {
    code: &'static str,
    titles: &'static [&'static str],
    skills: &'static [&'static str],
    duties: &'static [&'static str],
    said: &'static [&'static str],
    physical: Physical,
}

const KINDS: &[Kind] = &[
    Kind {
        code: "cleaning",
        titles: &["小区保洁员", "商场保洁员", "写字楼保洁", "医院保洁员", "学校保洁员", "楼道保洁（钟点工）"],
        skills: &["保洁", "卫生清扫", "垃圾清运", "拖地"],
        duties: &[
            "负责公共区域的日常清扫和保洁",
            "拖地、擦桌椅门窗、清倒垃圾",
            "及时补充洗手液和卫生纸",
            "垃圾分类投放和清运",
        ],
        said: &["会打扫卫生", "拖地擦玻璃都干过", "在宾馆做过客房打扫", "做事干净利索"],
        physical: Physical::Medium,
    },
    Kind {
        code: "security",
        titles: &["小区保安", "工厂门卫", "停车场值守员", "园区巡逻保安"],
        skills: &["门岗", "巡逻", "监控", "值班"],
        duties: &["负责门岗值守和来访登记", "夜间巡逻，查看监控", "协助疏导车辆"],
        said: &["当过保安", "会看监控", "值夜班没问题", "看过大门"],
        physical: Physical::Medium,
    },
    Kind {
        code: "delivery",
        titles: &["外卖骑手", "同城跑腿员", "社区送餐员", "快递派送员"],
        skills: &["骑电动车", "导航", "送餐", "派件"],
        duties: &["按平台派单把餐送到顾客手中", "熟悉周边道路，按时送达", "自备电动车，平台提供保险"],
        said: &["会骑电动车", "送过外卖", "手机导航用得熟"],
        physical: Physical::Heavy,
    },
    Kind {
        code: "catering",
        titles: &["帮厨", "食堂洗碗工", "快餐店配菜员", "酒店厨工"],
        skills: &["切配", "洗碗", "帮厨", "配菜"],
        duties: &["协助厨师切菜配菜", "清洗餐具和厨房卫生", "需要持有健康证"],
        said: &["会做饭", "切菜配菜快", "在饭店洗过碗"],
        physical: Physical::Medium,
    },
    Kind {
        code: "greening",
        titles: &["道路绿化养护员", "小区绿化工", "公园养护工"],
        skills: &["绿化养护", "修剪", "除草", "浇水"],
        duties: &["负责绿地的修剪、除草和浇水", "补种花草苗木", "清理枯枝落叶"],
        said: &["会修剪花草树木", "种过花", "在农村种了多年地"],
        physical: Physical::Medium,
    },
    Kind {
        code: "handicraft",
        titles: &["串珠饰品来料加工", "毛衫手工来料加工", "包装盒折叠贴标", "钩针编织（领料回家做）"],
        skills: &["手工", "串珠", "贴标", "编织"],
        duties: &["领料回家做，按件计酬", "工作简单，坐着就能做", "适合行动不便的居民"],
        said: &["手巧", "会串珠子", "会钩针编织", "坐着干活没问题"],
        physical: Physical::Light,
    },
    Kind {
        code: "elderly_care",
        titles: &["居家养老上门助老员", "养老院护理员", "医院陪护"],
        skills: &["照护老人", "助浴", "陪护"],
        duties: &["上门为老人助餐助洁", "陪老人聊天、测量血压", "协助老人起居"],
        said: &["照顾过瘫痪的老人", "会量血压", "有耐心"],
        physical: Physical::Medium,
    },
    Kind {
        code: "housekeeping",
        titles: &["家政钟点工", "住家保姆", "家政保洁（平台接单）"],
        skills: &["家政保洁", "做饭", "整理收纳"],
        duties: &["上门做家务、整理收纳", "做饭洗衣", "按小时计费"],
        said: &["会做家务", "做饭好吃", "洗衣服熨衣服都会"],
        physical: Physical::Medium,
    },
    Kind {
        code: "warehouse",
        titles: &["电商仓库打包员", "快递分拣员", "物流装卸工"],
        skills: &["打包", "扫码", "分拣", "装卸"],
        duties: &["按单拣货、打包、贴面单", "扫码出入库", "搬运货物"],
        said: &["会打包", "手机扫码用得熟", "力气大能搬货"],
        physical: Physical::Heavy,
    },
    Kind {
        code: "retail",
        titles: &["超市收银员", "超市理货员", "便利店店员"],
        skills: &["收银", "理货", "上架"],
        duties: &["负责收银结账", "商品理货上架", "保持货架整洁"],
        said: &["做过超市收银", "会理货上架", "会用电脑"],
        physical: Physical::Light,
    },
    Kind {
        code: "driving",
        titles: &["货车司机", "送货司机", "班车驾驶员"],
        skills: &["驾驶", "货车驾驶"],
        duties: &["驾驶厢式货车配送", "需持C1以上驾驶证", "熟悉嘉兴周边路线"],
        said: &["开过货车", "会开车", "路都熟"],
        physical: Physical::Medium,
    },
    Kind {
        code: "maintenance",
        titles: &["物业维修工", "社区便民维修师傅", "工厂电工"],
        skills: &["水电维修", "电工", "门窗维修"],
        duties: &["负责水电、门窗日常维修", "接单上门维修", "电工须持证"],
        said: &["懂点电工", "水管漏水能修", "做过机修"],
        physical: Physical::Medium,
    },
];

const GENERIC: &[&str] = &[
    "单位地址在街道社区服务中心旁边，骑电动车十分钟就到",
    "试用期一个月，表现好的可以转为长期",
    "年纪大一点也没关系，只要身体健康、做事认真",
    "上班时间早上八点到下午四点，中午休息一小时",
    "提供工作餐和工作服",
    "月休四天，工资按月发放",
    "欢迎附近居民就近就业",
    "离公交站很近，交通方便",
    "有意者请电话联系，面试合格即可上岗",
    "岗位长期稳定，缴纳社会保险",
];

/// Generated data, reproducible from its seed.
pub struct World {
    pub jobs: Vec<Job>,
    pub persons: Vec<Person>,
}

fn streets(state: &AppState) -> Vec<String> {
    let mut s: Vec<String> = jobmatch_core::regions::parse_csv(jobmatch_core::regions::SEED_CSV)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.level == "street" && state.regions.contains(&r.code))
        .map(|r| r.code)
        .collect();
    s.sort();
    s
}

/// `n` jobs and `m` people of this domain.
pub fn generate(state: &AppState, n: usize, m: usize, seed: u64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let streets = streets(state);
    let now = jobmatch_core::time::to_text(chrono::Utc::now());
    let types = [EmploymentType::FullTime, EmploymentType::PartTime, EmploymentType::Gig, EmploymentType::Seasonal];
    let jobs = (0..n)
        .map(|i| {
            let k = &KINDS[rng.gen_range(0..KINDS.len())];
            let street = streets.choose(&mut rng).cloned().unwrap_or_default();
            let mut desc: Vec<&str> = k.duties.choose_multiple(&mut rng, 3).copied().collect();
            desc.extend(GENERIC.choose_multiple(&mut rng, 5));
            let monthly = rng.gen_range(22..60) * 100;
            let age_max = [None, Some(50), Some(55), Some(60), Some(65)][rng.gen_range(0..5)];
            Job {
                id: format!("job_bench{i:08}"),
                input: JobInput {
                    title: k.titles.choose(&mut rng).unwrap_or(&"保洁员").to_string(),
                    description: format!("{}。", desc.join("，")),
                    source: JobSource::GigMarket,
                    category: k.code.to_string(),
                    employment_type: types[rng.gen_range(0..types.len())],
                    pay: Pay { min: monthly, max: monthly + 500, unit: PayUnit::Month },
                    region_code: street,
                    address: None,
                    location: None,
                    headcount: rng.gen_range(1..5),
                    requirements: Requirements {
                        age_min: Some(18),
                        age_max,
                        certificates: if k.code == "catering" && rng.gen_bool(0.5) {
                            vec!["health_cert".into()]
                        } else {
                            vec![]
                        },
                        physical: Some(k.physical),
                        skills: k.skills.choose_multiple(&mut rng, 2).map(|s| s.to_string()).collect(),
                    },
                    disability_friendly: k.physical == Physical::Light,
                    valid_until: None,
                    contact: Contact { name: "王女士".into(), phone: "13805731234".into() },
                },
                status: JobStatus::Open,
                close_reason: None,
                certified_only: false,
                publisher_org_id: "org_bench".into(),
                created_at: now.clone(),
                updated_at: now.clone(),
            }
        })
        .collect();
    let persons = (0..m)
        .map(|i| {
            let k = &KINDS[rng.gen_range(0..KINDS.len())];
            let street = streets.choose(&mut rng).cloned().unwrap_or_default();
            let birth = NaiveDate::from_ymd_opt(rng.gen_range(1960..2004), rng.gen_range(1..13), rng.gen_range(1..29))
                .unwrap_or_default();
            let age = jobmatch_core::idcard::age_on(birth, Utc::now().date_naive());
            Person {
                id: format!("per_bench{i:08}"),
                id_number: "330402********0000".into(),
                phone: Some("139****0000".into()),
                profile: PersonProfile {
                    name: "测试".into(),
                    region_code: street,
                    address: None,
                    groups: vec![],
                    employment_status: EmploymentStatus::Unemployed,
                    willingness: Willingness::Now,
                    willingness_reason: None,
                    service_needs: vec![],
                    skills: k.said.choose_multiple(&mut rng, 2).map(|s| s.to_string()).collect(),
                    certificates: if rng.gen_bool(0.3) { vec!["health_cert".into()] } else { vec![] },
                    preferred_categories: vec![k.code.to_string()],
                    preferred_regions: vec![],
                    expected_pay: Some(ExpectedPay {
                        min: rng.gen_range(20..45) * 100,
                        max: None,
                        unit: PayUnit::Month,
                    }),
                    availability: types.choose_multiple(&mut rng, 2).copied().collect(),
                    physical_limit: Some([Physical::Light, Physical::Medium, Physical::Heavy][rng.gen_range(0..3)]),
                    consent: Consent { push: true, share_with_agencies: false, recommend_to_employers: false },
                    retirement_kind: None,
                },
                birth_date: Some(birth.format("%Y-%m-%d").to_string()),
                age,
                sex: "female".into(),
                certification: None,
                created_at: now.clone(),
                updated_at: now.clone(),
            }
        })
        .collect();
    World { jobs, persons }
}

/// The `p` quantile of `v` (sorted in place), 0 when empty.
pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(((v.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0)
}

/// Run the benchmark and print a Markdown table row set.
pub async fn run(n_jobs: usize, n_people: usize, queries: usize, postgres: Option<String>) -> anyhow::Result<()> {
    let work = std::env::temp_dir().join(format!("jobmatch-bench-matching-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let state = AppState::open(Settings::for_data_dir(&work.join("data"), None)?).await?;
    let config = Arc::new(jobmatch_matching::engine::config::MatchConfig::load(None)?);
    let matcher = Matcher::open(state.clone(), config.clone()).await?;
    let started = Instant::now();
    let world = generate(&state, n_jobs, n_people, 42);
    println!("generated {n_jobs} jobs and {n_people} people in {:.1} s", started.elapsed().as_secs_f64());

    // Raw jieba over the same text, as the floor for indexing.
    let texts: Vec<String> = world
        .jobs
        .iter()
        .map(|j| format!("{} {} {}", j.input.title, j.input.requirements.skills.join("，"), j.input.description))
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut jieba = jieba_rs::Jieba::new();
    for (w, f) in &config.dictionary {
        jieba.add_word(w, *f, None);
    }
    let t = Instant::now();
    let mut words = 0usize;
    for text in &texts {
        words += jieba.cut(text, true).len();
    }
    let jieba_secs = t.elapsed().as_secs_f64();
    println!(
        "raw jieba: {:.1} MB in {jieba_secs:.2} s = {:.1} MB/s, {:.0} postings/s ({words} words; mean posting {} bytes)",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / jieba_secs,
        n_jobs as f64 / jieba_secs,
        bytes / n_jobs.max(1)
    );

    // Where indexing time goes: analysis alone.
    let t = Instant::now();
    for job in world.jobs.iter().take(20_000) {
        std::hint::black_box(matcher.job_facts(job.clone()));
    }
    let per = t.elapsed().as_secs_f64() / world.jobs.len().clamp(1, 20_000) as f64;
    println!("analysis alone (facts and tokens): {:.0} docs/s", 1.0 / per);
    let sample: Vec<JobFacts> = world.jobs.iter().take(20_000).map(|j| matcher.job_facts(j.clone()).0).collect();
    let t = Instant::now();
    let mut json_bytes = 0;
    for f in &sample {
        json_bytes += serde_json::to_string(f)?.len();
    }
    let per_json = t.elapsed().as_secs_f64() / sample.len().max(1) as f64;
    println!("facts as JSON alone: {:.0} docs/s, {} bytes each", 1.0 / per_json, json_bytes / sample.len().max(1));
    let now = Utc::now().timestamp();
    let t = Instant::now();
    for job in &world.jobs {
        matcher.index_job(job.clone(), now)?;
    }
    matcher.commit_now()?;
    let job_secs = t.elapsed().as_secs_f64();
    println!(
        "index jobs: {n_jobs} in {job_secs:.2} s = {:.0} docs/s ({:.2}× raw jieba time)",
        n_jobs as f64 / job_secs,
        job_secs / jieba_secs
    );
    let t = Instant::now();
    for p in &world.persons {
        matcher.index_person(p.clone())?;
    }
    matcher.commit_now()?;
    let person_secs = t.elapsed().as_secs_f64();
    println!("index people: {n_people} in {person_secs:.2} s = {:.0} docs/s", n_people as f64 / person_secs);

    let mut rng = StdRng::seed_from_u64(7);
    let sample_p: Vec<&Person> = world.persons.choose_multiple(&mut rng, queries).collect();
    let sample_j: Vec<&Job> = world.jobs.choose_multiple(&mut rng, queries).collect();
    let facts_p: Vec<PersonFacts> = sample_p
        .iter()
        .filter_map(|p| {
            PersonFacts::build(
                (*p).clone(),
                &state.regions,
                &state.vocab,
                &matcher.analysis,
                &state.policy.public_welfare,
            )
        })
        .collect();
    let facts_j: Vec<JobFacts> = sample_j.iter().map(|j| matcher.job_facts((*j).clone()).0).collect();
    let mut lat = Vec::new();
    let mut found = 0;
    for f in &facts_p {
        let t = Instant::now();
        found += matcher.matches_for(f, 20)?.len();
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (p50, p99) = (percentile(&mut lat, 0.5), percentile(&mut lat, 0.99));
    println!("person→jobs top-20: p50 {p50:.2} ms, p99 {p99:.2} ms over {} queries ({found} results)", lat.len());
    let mut lat_c = Vec::new();
    let mut found = 0;
    for f in &facts_j {
        let t = Instant::now();
        found += matcher.candidates_for(f, &jobmatch_matching::engine::matcher::Only::default(), 20)?.len();
        lat_c.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (c50, c99) = (percentile(&mut lat_c, 0.5), percentile(&mut lat_c, 0.99));
    println!("job→people top-20: p50 {c50:.2} ms, p99 {c99:.2} ms over {} queries ({found} results)", lat_c.len());

    if let Some(url) = postgres {
        let pg = crate::pg::Pg::connect(&url).await?;
        let t = Instant::now();
        pg.load(&world, &state).await?;
        println!(
            "postgres: loaded and indexed {n_jobs} jobs and {n_people} people in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let mut lat = Vec::new();
        for f in &facts_p {
            let t = Instant::now();
            pg.matches(f, &state, 20).await?;
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let (q50, q99) = (percentile(&mut lat, 0.5), percentile(&mut lat, 0.99));
        println!(
            "postgres person→jobs top-20: p50 {q50:.2} ms, p99 {q99:.2} ms ({:.1}× / {:.1}× tantivy)",
            q50 / p50,
            q99 / p99
        );
        let mut lat = Vec::new();
        for f in &facts_j {
            let t = Instant::now();
            pg.candidates(f, 20).await?;
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let (q50, q99) = (percentile(&mut lat, 0.5), percentile(&mut lat, 0.99));
        println!(
            "postgres job→people top-20: p50 {q50:.2} ms, p99 {q99:.2} ms ({:.1}× / {:.1}× tantivy)",
            q50 / c50,
            q99 / c99
        );
    }
    drop(matcher);
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// Rule filters for SQL, from facts.
pub fn rule_args(f: &PersonFacts, state: &AppState) -> (Vec<String>, i64, i64, Vec<String>) {
    let age = jobmatch_core::idcard::age_on(f.birth_date, Utc::now().date_naive());
    let not_held: Vec<String> = state
        .vocab
        .certificate_codes()
        .iter()
        .filter(|c| !f.person.profile.certificates.iter().any(|h| h == *c))
        .map(|c| c.to_string())
        .collect();
    (f.accept.clone(), age, limit_rank(f.person.profile.physical_limit) as i64, not_held)
}

pub fn demand(f: &JobFacts) -> i64 {
    demand_rank(f.job.input.requirements.physical) as i64
}
