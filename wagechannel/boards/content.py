"""What a board says, as plain values: the renderers (PNG, PDF, HTML) draw this and nothing else.

Built from a project by boards.services.board_content; the renderers never touch the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field

TITLE = "农民工维权信息告示牌"
# What the worker is promised must be true: arbitration, a lawsuit and a labour-inspection
# case show the claimant to the employer, so the promise is only about this service.
FOOTER = ("依据《保障农民工工资支付条例》第三十四条设置。本平台不会告诉施工单位或老板是谁反映的；"
          "您要申请仲裁、起诉或投诉时，法律要求写上您的名字，工作人员会先问您。")
# Labour Dispute Mediation and Arbitration Law art. 27: for unpaid wages the year runs from
# the end of employment.
TIME_LIMIT_NOTE = "仲裁时效一般为离职后一年，请尽早反映。"
ARREARS_PLATFORM_NOTE = "也可以在微信“国务院客户端”小程序里，找全国根治欠薪线索反映平台反映。"


@dataclass(frozen=True)
class Item:
    """One labelled line of a block, e.g. Item("建设单位", "深圳某某置业有限公司  电话 0755-…")."""

    label: str
    text: str


@dataclass(frozen=True)
class BoardContent:
    url: str  # what the QR code encodes: {BASE_URL}/s/<token>
    token: str  # printed under the code, for typing in by hand
    lookup_url: str  # where a token can be typed in: {BASE_URL}/s
    title: str  # 农民工维权信息告示牌
    project_name: str
    project_address: str
    parties: list[Item] = field(default_factory=list)  # Art. 34(1): units and labour manager
    wages: list[Item] = field(default_factory=list)  # Art. 34(2): minimum wage, pay day
    channels: list[Item] = field(default_factory=list)  # Art. 34(3): complaint, arbitration, aid
    hotlines: list[Item] = field(default_factory=list)  # printed largest: 12348, local numbers, 12333
    call_to_action: str = "被拖欠工资？用手机扫码，两分钟告诉我们"
    qr_notes: list[str] = field(default_factory=list)  # under the code: the time limit, other channels
    footer: str = ""  # legal basis and what this service promises


def sample_content(*, long_names: bool = False) -> BoardContent:
    """A complete board's content for tests and benchmarks; long_names stresses the layout."""
    stretch = "（深圳湾超级总部基地二期A区三标段东侧地块配套市政道路及综合管廊工程）" if long_names else ""
    company = "深圳市某某某某建筑工程集团股份有限公司第三工程局第七项目管理分公司" if long_names else "深圳示范建设集团有限公司"
    subs = [f"深圳市某某劳务分包有限公司第{i}分公司（钢筋、模板、混凝土工程）  电话 0755-2666{i:04d}"
            for i in range(1, 9 if long_names else 3)]
    return BoardContent(
        url="https://wc.example.cn/s/G8QAMDC40X",
        token="G8QAMDC40X",
        lookup_url="https://wc.example.cn/s",
        title="农民工维权信息告示牌",
        project_name="南山示范花园二期工程" + stretch,
        project_address="深圳市南山区桃园路88号" + ("南山街道前海路与桃园路交汇处西北角" * (3 if long_names else 0)),
        parties=[
            Item("建设单位", "深圳南山示范置业有限公司" + stretch + "  电话 0755-26001234"),
            Item("施工总承包单位", company + "  电话 0755-88886666"),
            Item("项目部", "南山示范花园二期项目部  项目经理 周建华  电话 13800138111"),
            *[Item("分包单位", sub) for sub in subs],
            Item("行业工程建设主管部门", "深圳市南山区住房和建设局  投诉电话 0755-26652888"),
            Item("劳资专管员", "李建国  电话 13800138000"),
        ],
        wages=[Item("当地最低工资标准", "2520元/月，23.7元/小时"),
               Item("工资支付日期", "每月15日前支付上月工资（遇法定节假日或休息日提前支付）")],
        channels=[
            Item("劳动保障监察投诉",
                 "本地 0755-26665678（深圳市南山区人力资源局）；全国人社服务热线 12333"),
            Item("行业主管部门投诉", "0755-26652888"),
            Item("劳动争议调解仲裁", "深圳市南山区劳动人事争议仲裁委员会  南山大道2016号  0755-26668888"),
            Item("法律援助", "深圳市南山区法律援助中心  南山大道2000号  0755-26661234"),
            Item("公共法律服务热线", "12348"),
        ],
        hotlines=[Item("法律援助热线", "12348"), Item("本地法律援助中心", "0755-26661234"),
                  Item("本地劳动保障监察", "0755-26665678"), Item("全国人社服务热线", "12333")],
        qr_notes=[TIME_LIMIT_NOTE, ARREARS_PLATFORM_NOTE],
        footer=FOOTER,
    )
