"""Plans (整改方案) written as text, for the tests (invented units, people and facts).

Each is shaped like the plans units really write: problems in the 一、（一）1.（1）
outline, a "整改措施：" label, measures numbered （1）（2） / 1. 2. / ①② / 一是…二是…,
and responsibility lines after each measure, in any order and with every synonym
(责任领导/牵头领导/分管领导, 责任部门/责任单位/牵头单位/牵头部门, 配合单位,
责任人/具体责任人, 完成时限/整改时限/时间节点/完成时间).
"""

OPENING = (
    "根据县委统一部署，2025年3月10日至5月20日，县委第二巡察组对县自然资源局党组开展了常规巡察，"
    "并于2025年7月8日反馈了巡察意见。为切实抓好整改落实，结合实际，制定本方案。\n"
)

# The letter of the report: 一、（一）1.（1）, a "整改措施：" label under each problem and its
# measures as （1）（2）, each followed by one responsibility line. Its title names the
# feedback (反馈意见) and calls itself 整改落实方案: 2 categories, 3 issues, 5 problems,
# 11 measures.
_RESP_LINE = "责任领导：{leader}；责任部门：{dept}；完成时限：2025年12月31日。"


def _letter(measure: str) -> str:
    """The letter with each measure written by ``measure.format(n=…, text=…)``."""
    problems = [
        (
            "一、贯彻落实党的路线方针政策和党中央决策部署方面",
            "（一）理论学习不够深入",
            "1.党组理论学习中心组学习流于形式。2024年仅开展集中学习4次，未达到规定次数。",
            [
                ("制定党组理论学习中心组年度学习计划，每月至少开展集中学习1次", "王建国", "办公室"),
                ("建立学习考勤和通报制度，对无故缺席的进行通报", "王建国", "办公室"),
            ],
        ),
        (
            None,
            None,
            "2.学习成果转化不够。调研报告质量不高，对推动工作作用不明显。",
            [
                ("每季度围绕重点工作撰写调研报告1篇", "王建国", "办公室"),
                ("将调研成果转化情况纳入年度考核", "王建国", "人事股"),
            ],
        ),
        (
            None,
            "（二）耕地保护责任落实不到位",
            "1.违法占用耕地问题整治不彻底。2处违法占地至今未拆除。",
            [
                ("对2处违法占地依法拆除并复耕", "赵刚", "执法大队"),
                ("开展违法占地“回头看”专项排查", "赵刚", "执法大队"),
                ("建立耕地保护动态巡查机制", "赵刚", "耕地保护股"),
            ],
        ),
        (
            "二、落实全面从严治党责任方面",
            "（一）财务管理不规范",
            "1.违规发放津补贴。2023年以来违规发放加班补贴共计3.6万元。",
            [
                ("清退违规发放的加班补贴3.6万元", "李红", "财务股"),
                ("修订《机关财务管理办法》，明确津补贴发放标准", "李红", "财务股"),
            ],
        ),
        (
            None,
            None,
            "2.公务接待不规范。抽查发现3次公务接待无公函。",
            [
                ("对2023年以来的公务接待进行全面清理", "李红", "办公室"),
                ("严格执行公务接待公函制度", "李红", "办公室"),
            ],
        ),
    ]
    lines = ["关于县委第二巡察组反馈意见的整改落实方案", "", OPENING.rstrip("\n")]
    for category, issue, problem, measures in problems:
        if category:
            lines.append(category)
        if issue:
            lines.append(issue)
        lines.append(problem)
        lines.append("整改措施：")
        for n, (text, leader, dept) in enumerate(measures, 1):
            lines.append(measure.format(n=n, cn="一二三四五"[n - 1], text=text))
            lines.append(_RESP_LINE.format(leader=leader, dept=dept))
    lines += ["", "中共某某县自然资源局党组", "2025年8月6日"]
    return "\n".join(lines) + "\n"


REPORTED_LETTER = _letter("（{n}）{text}。")
# The same letter rewritten with 一是…二是… (one per line), as the clerk tried next.
REPORTED_LETTER_SHI = _letter("{cn}是{text}。")

REPORTED_TREE = [
    (0, "category", "贯彻落实党的路线方针政策和党中央决策部署方面", 0),
    (1, "issue", "理论学习不够深入", 0),
    (2, "problem", "党组理论学习中心组学习流于形式", 2),
    (2, "problem", "学习成果转化不够", 2),
    (1, "issue", "耕地保护责任落实不到位", 0),
    (2, "problem", "违法占用耕地问题整治不彻底", 3),
    (0, "category", "落实全面从严治党责任方面", 0),
    (1, "issue", "财务管理不规范", 0),
    (2, "problem", "违规发放津补贴", 2),
    (2, "problem", "公务接待不规范", 2),
]


# Every measure style, each responsibility synonym and several orders, in one plan whose
# problems stand at the （一） level under categories.
PLAN_STYLES = (
    "中共某某县水利局党组巡察整改工作方案\n\n"
    + OPENING.replace("县自然资源局", "县水利局")
    + """一、政治建设方面
（一）意识形态工作责任制落实不到位
整改措施：
（1）每半年专题研究意识形态工作1次。
责任领导：陈志远；责任部门：办公室；责任人：刘洋；完成时限：2025年12月31日。
（2）建立网络舆情研判机制。
完成时限：2026年3月31日；责任人：刘洋；责任单位：办公室；牵头领导：陈志远。
（二）理论学习成果转化不够
整改措施：
1.每季度开展一次学习成果交流。
分管领导：周敏
牵头单位：人事股
配合单位：办公室、机关党委
具体责任人：孙丽
整改时限：长期坚持
2.将学习情况纳入干部年度考核。
牵头部门：人事股；责任人：孙丽；时间节点：2025年11月底。
二、工程建设方面
（一）项目招投标监管不严
整改措施：
①对2023年以来的项目招投标资料逐一复查。
责任领导：马骏；责任部门：规划建设股；配合单位：财务股；完成时间：2025年10月31日。
②修订《水利工程招投标管理办法》。
责任领导：马骏；责任部门：规划建设股；完成时限：2025年12月31日前。
（二）工程款拨付不规范
整改措施：一是对超付的工程款12.5万元予以追回；二是建立工程款拨付审核台账。
责任领导：马骏；责任部门：财务股；责任人：吴静；完成时限：立行立改。
（三）质量监督检查流于形式
整改措施：
一是制定质量监督检查计划。
牵头领导：马骏；牵头单位：质量监督站；完成时限：2025年9月30日。
二是对在建项目开展全覆盖检查。
牵头领导：马骏；牵头单位：质量监督站；配合单位：规划建设股；完成时限：2025年12月31日。

中共某某县水利局党组
2025年8月20日
"""
)

# Responsibility written once after all of a problem's measures: it applies to each.
PLAN_SHARED = (
    "县交通运输局关于巡察反馈问题的整改方案\n\n"
    + OPENING.replace("县自然资源局", "县交通运输局")
    + """一、落实管党治党责任方面
（一）党风廉政建设责任制落实不到位
整改措施：
1.党组每半年专题研究党风廉政建设工作1次。
2.班子成员每年对分管股室负责人开展廉政谈话1次。
3.建立廉政风险点台账。
责任领导：黄涛
责任部门：机关党委
责任人：许婷
完成时限：2025年12月31日
（二）干部选拔任用程序不规范
责任领导：黄涛；责任部门：人事股；完成时限：长期坚持。
整改措施：
（1）严格执行干部选拔任用全程纪实制度。
（2）对2022年以来的干部选拔任用档案进行复查，复查工作在2025年10月底前完成。
完成时限：2025年10月31日。
"""
)

# Problems listed with their owners but no measures (a 问题清单): the responsibility
# cannot be attached to a measure, and the preview says so.
PLAN_UNATTACHED = """县统计局巡察整改方案

一、落实中央八项规定精神方面
（一）公务用车管理不规范
责任领导：钱伟；责任部门：办公室；完成时限：2025年12月31日。
（二）公务接待审批把关不严，2024年有3次接待无公函的问题。
责任领导：钱伟；责任部门：办公室；完成时限：2025年10月31日。
"""

# Levels shifted: every issue has exactly one problem below it (the measures were read as
# problems, the problems as issues).
PLAN_SHIFTED = """县审计局巡察整改情况的报告

一、问题整改情况
（一）审计整改督促不到位
1.建立审计整改台账
（二）内部管理制度不健全
1.修订《内部管理制度汇编》
（三）干部教育培训不够
1.制定年度培训计划
"""

# Problems numbered 1. 2. and, after the label, measures numbered 1. 2. as well: the next
# problem ("2." after a single measure "1.") is told from a measure by the label below it.
PLAN_SAME_NUMBERS = """县林业局巡察整改方案

一、生态保护方面
（一）森林资源管护不到位
1.林地占用审批不严格。
整改措施：
1.对2022年以来的林地占用审批逐件复核。
责任领导：郑华；责任部门：资源管理股；完成时限：2025年11月30日。
2.护林员管理松散。
整改措施：
1.修订《护林员管理考核办法》。
责任领导：郑华；责任部门：森林防火办；完成时限：2025年10月31日。
2.建立护林员巡护轨迹抽查制度。
责任领导：郑华；责任部门：森林防火办；完成时限：2025年12月31日。
3.森林防火宣传不到位。
整改措施：
1.每年开展森林防火宣传进村入户活动。
责任领导：郑华；责任部门：森林防火办；完成时限：长期坚持。
"""

# Measures written as numbered lines with no label, each with its responsibility, some of
# it in brackets at the end of the measure.
PLAN_NO_LABEL = """县民政局巡察整改方案

一、社会救助方面
（一）低保审核把关不严
（1）对全县低保对象开展一次全面核查（责任领导：冯涛；责任部门：社会救助股；完成时限：2025年10月31日）。
（2）建立低保审核“双人复核”制度。
责任领导：冯涛；责任部门：社会救助股；责任人：韩梅；完成时限：2025年12月31日。
（二）临时救助发放不及时
（1）简化临时救助审批流程（立行立改）。
（2）每月通报临时救助办理情况（长期坚持）。
"""

# Labels of the problem's statement (问题表现, 整改目标, 原因分析) around the measures, a
# measure that runs on to a second line, and 立行立改，长期坚持 as one deadline.
PLAN_LABELLED = """县卫生健康委员会巡察整改方案

一、党的建设方面
1.党支部“三会一课”制度落实不到位。
问题表现：2024年支部党员大会仅召开2次。
整改目标：严格落实“三会一课”制度。
整改措施：①制定支部年度组织生活计划；②每季度召开党员大会1次；③建立组织生活记录台账。
责任领导：何平
责任部门：机关党委
整改时限：2025年12月31日
2.发展党员程序不规范。
整改措施：
（1）对2020年以来发展党员档案逐一核查，
对发现的问题逐项整改。
（2）开展发展党员工作业务培训，明确责任人：组织员。
责任人：林芳；完成时限：2025年11月30日。
原因分析：组织员业务不熟。
二、作风建设方面
1.督查检查过多过频。
整改措施：一是统筹督查检查计划；二是推行“综合查一次”。
牵头领导：何平；牵头单位：办公室；配合单位：各科室；完成时限：立行立改，长期坚持。
"""

# A leader named once for a whole part applies to every measure under it.
PLAN_INHERITED = """县教育局巡察整改方案

一、意识形态工作方面
责任领导：程浩
（一）阵地管理不严格
（1）建立宣传阵地审批登记制度。
责任部门：宣传科；完成时限：2025年10月31日。
（2）每季度开展一次阵地排查。
责任部门：宣传科；完成时限：长期坚持。
（二）网络舆情处置不及时
整改措施：
1.完善网络舆情应急处置预案。
2.每月开展舆情研判。
责任部门：宣传科；配合部门：办公室；完成时限：2025年12月31日。
"""
