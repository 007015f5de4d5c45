"""Progress notices as they come off government sites: saved as text, copied, printed.

Written here in the genre (invented units and numbers, past dates). Each carries the
page chrome its route leaves: a breadcrumb, the metadata block (信息索引号, 发布机构, 来源,
发布时间, 浏览次数), the tools (字号：大 中 小, 打印本页, 关闭窗口), the share line, 上一篇 /
下一篇, the site footer with its own address and phone, and, printed to PDF, the
browser's date-and-time header and URL footer. The headline figures stand in the
organisation section, some beside figures of an earlier round.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

D = dt.date


@dataclass(frozen=True)
class WebNotice:
    """A notice with chrome and the facts that are its own."""

    text: str
    title: str
    group: str
    unit: str
    period: tuple[dt.date | None, dt.date | None]
    feedback: dt.date | None
    kind: str | None
    stats: dict[str, int | Decimal]
    phone: str | None = None
    address: str | None = None
    email: str | None = None
    # Lines of the page chrome, each of which must be blanked.
    chrome: tuple[str, ...] = field(default=())


# Saved from the browser as .txt: breadcrumb, column name, metadata, tools, then the
# article; share line, neighbours and the site footer after it.
SAVED_TXT = WebNotice(
    text="""首页 > 政务公开 > 通知公告 > 巡察整改
通知公告
关于县委第二巡察组反馈意见整改进展情况的通报
信息索引号：11341127/2025-00123    发布机构：县教育局
发布时间：2025-09-01 10:21    来源：县教育局    浏览次数：356
【字号：大 中 小】【打印本页】【关闭窗口】

根据县委统一部署，2025年3月10日至5月20日，县委第二巡察组对县教育局党组开展了常规巡察，并于2025年7月8日反馈了巡察意见。现将整改进展情况予以公布。
一、加强组织领导，压实整改责任
局党组把巡察整改作为重大政治任务，对巡察反馈的4个方面12个问题逐项建立台账，制定整改措施56条。截至目前，反馈问题12个，已完成10个，正在整改2个。同时，对上一轮巡察反馈的8个问题，已完成整改6个。
二、整改落实情况
（一）政治建设方面
1.学习贯彻党的创新理论不够深入
一是修订了党组理论学习中心组学习制度；二是开展专题培训2次。
（二）作风建设方面
1.落实中央八项规定精神不严格
一是清退违规发放的补贴；二是建立公务接待台账。
三、下一步工作打算
持续抓好整改，巩固整改成果。
欢迎广大干部群众对巡察整改落实情况进行监督。监督电话：0556-5123456；电子邮箱：jyjzg@163.com。

中共某某县教育局党组
2025年9月1日
分享到：微信 微博 QQ空间
扫一扫在手机打开当前页
上一篇：关于开展2025年度教师招聘工作的通知
下一篇：某某县教育局2025年部门预算公开
主办单位：某某县人民政府办公室  版权所有：某某县人民政府
地址：某某县人民路1号  邮编：246200  联系电话：0556-7171234
网站标识码：3411270001 皖ICP备05001234号
""",
    title="关于县委第二巡察组反馈意见整改进展情况的通报",
    group="县委第二巡察组",
    unit="县教育局党组",
    period=(D(2025, 3, 10), D(2025, 5, 20)),
    feedback=D(2025, 7, 8),
    kind="常规",
    stats={"problems": 12, "completed": 10, "in_progress": 2, "measures": 56},
    phone="0556-5123456",
    email="jyjzg@163.com",
    chrome=(
        "首页 > 政务公开 > 通知公告 > 巡察整改",
        "通知公告",
        "信息索引号：11341127/2025-00123    发布机构：县教育局",
        "发布时间：2025-09-01 10:21    来源：县教育局    浏览次数：356",
        "【字号：大 中 小】【打印本页】【关闭窗口】",
        "分享到：微信 微博 QQ空间",
        "扫一扫在手机打开当前页",
        "上一篇：关于开展2025年度教师招聘工作的通知",
        "下一篇：某某县教育局2025年部门预算公开",
        "主办单位：某某县人民政府办公室  版权所有：某某县人民政府",
        "地址：某某县人民路1号  邮编：246200  联系电话：0556-7171234",
        "网站标识码：3411270001 皖ICP备05001234号",
    ),
)

# Copied into Word from the page: 当前位置 breadcrumb, the menu pasted one word a
# line, metadata after the title, figures over three levels in the organisation
# section and an earlier round named by its year.
COPIED_DOCX = WebNotice(
    text="""首页
政务公开
政民互动
办事服务
当前位置：首页 > 巡察工作 > 整改公示
中共某某县水利局党组关于县委第三巡察组巡察反馈意见整改情况的通报
来源：县水利局　　发布时间：2024-10-15　　阅读次数：128
【打印】【关闭】
按照县委巡察工作领导小组统一安排，县委第三巡察组于2024年4月8日至6月5日对县水利局党组进行了巡察，6月28日反馈了巡察意见。按照党务公开原则和巡察工作有关要求，现将整改情况予以公布。
一、提高政治站位，扛牢整改责任
局党组召开专题会议，对照巡察反馈的5个方面15大项问题60子项问题，制定配套措施400余条，建立问题、任务、责任“三张清单”。2021年县委巡察反馈的23个问题已于2022年全部完成整改。截至2024年9月底，60个问题已完成整改54个，完成率90%。
二、巡察反馈问题整改落实情况
（一）关于贯彻落实党的路线方针政策方面
1.河长制工作推进不力
一是召开河长制工作推进会；二是开展河道清淤专项行动。
（二）关于全面从严治党方面
1.廉政风险防控不到位
一是修订了廉政风险防控手册；二是对2名同志进行提醒谈话。
三、下一步工作打算
持续深化整改，建立长效机制。
如对整改情况有意见建议，请于2024年10月25日前反馈。监督电话：0556-6123456；来信地址：某某县水利局办公室（邮编：246200）。

中共某某县水利局党组
2024年10月15日
""",
    title="中共某某县水利局党组关于县委第三巡察组巡察反馈意见整改情况的通报",
    group="县委第三巡察组",
    unit="县水利局党组",
    period=(D(2024, 4, 8), D(2024, 6, 5)),
    feedback=D(2024, 6, 28),
    kind=None,
    stats={"problems": 60, "measures": 400, "completed": 54, "completion_rate": Decimal(90)},
    phone="0556-6123456",
    address="某某县水利局办公室",
    chrome=(
        "首页",
        "政务公开",
        "政民互动",
        "办事服务",
        "当前位置：首页 > 巡察工作 > 整改公示",
        "来源：县水利局　　发布时间：2024-10-15　　阅读次数：128",
        "【打印】【关闭】",
    ),
)

# Printed to PDF by the browser: its header (date, time, page title) and footer (URL,
# page of pages) on every page; the news form of the opening; counts in words.
PRINTED_PDF = WebNotice(
    text="""2024/12/5 上午10:12 关于市委第四巡察组反馈意见整改情况的通报_某某市人民政府
首页>新闻中心>通知公告
关于市委第四巡察组反馈意见整改情况的通报
发布日期：2024-12-05 来源：市统计局 点击数：87
2024年6月3日，市委第四巡察组向市统计局党组反馈巡察情况。市统计局党组坚持把巡察整改作为重大政治任务，现将整改情况通报如下。
一、整改工作开展情况
局党组成立整改工作领导小组，召开专题民主生活会。巡察组反馈问题十二项，已完成整改十项，完成率83.3%。上轮巡察反馈的5个问题均已整改到位。
https://www.mousi.gov.cn/zwgk/tzgg/202412/t20241205_123456.html 1/2
2024/12/5 上午10:12 关于市委第四巡察组反馈意见整改情况的通报_某某市人民政府
二、反馈问题整改情况
（一）统计数据质量管控不严
一是建立数据质量核查制度；二是开展统计执法检查。
（二）干部队伍建设不够有力
一是选派3名干部参加业务培训；二是完善干部考核办法。
三、下一步工作
持续巩固整改成果。
欢迎社会各界监督。联系电话：0551-62880000；电子邮箱：tjjzg@163.com。
中共某某市统计局党组
2024年12月5日
https://www.mousi.gov.cn/zwgk/tzgg/202412/t20241205_123456.html 2/2
""",
    title="关于市委第四巡察组反馈意见整改情况的通报",
    group="市委第四巡察组",
    unit="市统计局",
    period=(None, None),
    feedback=D(2024, 6, 3),
    kind=None,
    stats={"problems": 12, "completed": 10, "completion_rate": Decimal("83.3")},
    phone="0551-62880000",
    email="tjjzg@163.com",
    chrome=(
        "2024/12/5 上午10:12 关于市委第四巡察组反馈意见整改情况的通报_某某市人民政府",
        "首页>新闻中心>通知公告",
        "发布日期：2024-12-05 来源：市统计局 点击数：87",
        "https://www.mousi.gov.cn/zwgk/tzgg/202412/t20241205_123456.html 1/2",
        "https://www.mousi.gov.cn/zwgk/tzgg/202412/t20241205_123456.html 2/2",
    ),
)

# The metadata after the title on its own line (a page whose header row holds both),
# and an earlier round named 上一轮 in the same sentence as this round's figures.
TITLE_WITH_METADATA = WebNotice(
    text="""网站首页 | 巡察工作 | 通知公告
关于区委第一巡察组专项巡察反馈意见整改进展情况的公告　　发布时间：2025-03-18　来源：区卫健委
区委第一巡察组于2024年11月6日至2025年1月5日对区卫健委党委开展了专项巡察，2025年2月20日，区委第一巡察组向区卫健委党委反馈了巡察意见。
一、加强组织领导
区卫健委党委对照反馈意见，制定具体整改措施三十八条。上一轮巡察反馈问题9个，本轮巡察反馈问题14个，已完成12个。
二、整改落实情况
1.医疗领域不正之风整治不彻底
一是开展专项整治；二是建立常态化监督机制。
三、下一步打算
持续用力抓整改。
""",
    title="关于区委第一巡察组专项巡察反馈意见整改进展情况的公告",
    group="区委第一巡察组",
    unit="区卫健委党委",
    period=(D(2024, 11, 6), D(2025, 1, 5)),
    feedback=D(2025, 2, 20),
    kind="专项",
    stats={"problems": 14, "completed": 12, "measures": 38},
    chrome=("网站首页 | 巡察工作 | 通知公告",),
)

WEB_NOTICES = {
    "saved-txt": SAVED_TXT,
    "copied-docx": COPIED_DOCX,
    "printed-pdf": PRINTED_PDF,
    "title-with-metadata": TITLE_WITH_METADATA,
}

# Lines of real content that speak of 来源, 发布, 浏览, 分享, 地址 or 电话: never chrome.
CONTENT_LINES = (
    "资金来源：县财政专项资金，已全部拨付到位。",
    "来源于群众来信反映的问题，已逐一核实。",
    "及时发布整改进展情况，主动接受群众监督。",
    "发布时间节点不明确的问题已整改。",
    "一是分享典型经验，二是组织观摩学习。",
    "阅读量较少、学习效果不明显的问题",
    "监督电话：0556-5123456",
    "来信地址：某某县人民路9号（邮编：246200）",
    "地址：某某县人民路9号县纪委监委",
    "关于县委第二巡察组反馈意见整改进展情况的通报",
    "中共某某县教育局党组",
    "2025年9月1日",
    "1.学习贯彻党的创新理论不够深入",
    "（一）关于全面从严治党方面",
    "首先，对照问题清单逐项整改。",
    "浏览了相关网站并下载学习资料。",
    "序号\t问题\t整改措施\t责任单位\t完成时限",
)
