"""Demo data for the register: plausible market entities over the four seed cities, and demo logins.

Deterministic for a seed (one ``random.Random(seed)`` drawn in a fixed order) and
idempotent: entity number ``i`` always gets the same registration number, and rows
whose number already exists are skipped, so a re-run adds nothing and a larger
``--merchants`` only adds the difference. Rows go in with ``bulk_create`` in
batches (no per-row signals or history), which keeps 140,000 entities well under a
minute on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q

from integrity_portal.core.roles import StaffRole

from .models import Industry, Membership, MembershipRole, Merchant, MerchantKind, MerchantStatus, Region
from .search import merchant_fill_search, search_index_deferred
from .validators import USCC_ALPHABET, build_uscc

BATCH_SIZE = 5000
DEMO_PASSWORD = "Demo-Pass-2026"  # noqa: S105 - documented demo credential, printed by seed_demo

# (login, region, role or None for a merchant owner, what it is for)
DEMO_LOGINS = [
    ("demo_city", "410800", StaffRole.CITY_BUREAU, "焦作市市场监管局"),
    ("demo_district", "410802", StaffRole.DISTRICT_BRANCH, "解放区分局"),
    ("demo_civility", "410800", StaffRole.CIVILITY_OFFICE, "焦作市文明办"),
    ("demo_merchant", "410802", None, "解放区商户负责人"),
]

# Rostered inspectors (检查人员名册), posted at city level so they may inspect in every district:
# (city, full name); login demo_inspector_<city>_<n>, certificate number <city>2026<n>.
DEMO_INSPECTORS = [
    ("410800", "王磊"),
    ("410800", "李娜"),
    ("410800", "张伟"),
    ("410800", "刘洋"),
    ("411000", "陈静"),
    ("411000", "杨帆"),
    ("620500", "赵强"),
    ("620500", "孙丽"),
    ("150300", "周杰"),
    ("150300", "吴敏"),
]


def demo_inspector_logins() -> list[tuple[str, str, str, str]]:
    """(login, city, full name, certificate number) of each demo inspector, deterministic."""
    out, seen = [], {}
    for city, name in DEMO_INSPECTORS:
        seen[city] = seen.get(city, 0) + 1
        n = seen[city]
        out.append((f"demo_inspector_{city}_{n}", city, name, f"{city}2026{n:04d}"))
    return out


CITY_SHORT = {"410800": "焦作", "411000": "许昌", "620500": "天水", "150300": "乌海"}

# District → (weight, road names). 焦作 (the seed-000 city) carries 70 % of the entities.
DISTRICTS: dict[str, tuple[float, tuple[str, ...]]] = {
    "410802": (
        14,
        ("民主路", "解放路", "人民路", "建设路", "焦东路", "塔南路", "和平街", "自治街", "站前路"),
    ),
    "410811": (12, ("山阳路", "丰收路", "塔北路", "人民路", "新华街", "焦东南路", "迎宾路", "南通路")),
    "410803": (5, ("冯封路", "站前路", "龙翔街", "中原路", "许衡街", "月季路")),
    "410804": (5, ("待王街", "马村大道", "九里山路", "焦辉路", "文化路")),
    "410821": (5, ("云台大道", "竹林大道", "七贤路", "山阳路", "宁城路")),
    "410822": (5, ("鸿昌路", "清化路", "建设路", "月山路", "商城路")),
    "410823": (7, ("木栾大道", "龙泉路", "兴华路", "朝阳路", "沁河路")),
    "410825": (5, ("子夏大街", "太极路", "黄河路", "学府路", "温泉路")),
    "410882": (7, ("怀府路", "覃怀路", "沁园路", "永威路", "建设路")),
    "410883": (5, ("韩愈大街", "河阳路", "会昌路", "孟州路", "黄河大道")),
    "411002": (4, ("七一路", "建安大道", "文峰路", "八一路", "延安路", "劳动路")),
    "411003": (2.5, ("许继大道", "魏武大道", "永昌路", "尚集大道")),
    "411024": (1.5, ("花都大道", "人民路", "彭店路", "许扶路")),
    "411025": (1.5, ("紫云大道", "文昌路", "八七路", "城关路")),
    "411081": (2.5, ("钧都路", "禹王大道", "药城路", "颍川路")),
    "411082": (2, ("钟繇大道", "葛天大道", "新区路", "建设路")),
    "620502": (3, ("民主路", "大众路", "解放路", "藉河路", "青年路")),
    "620503": (2.5, ("桥南路", "马跑泉路", "社棠路", "商埠路")),
    "620521": (1, ("永清路", "轩辕大道", "东关路")),
    "620522": (1.5, ("兴国路", "映南路", "成纪大道")),
    "620523": (1.5, ("大像山路", "康庄路", "渭水大道")),
    "620524": (1, ("城关路", "渭北路", "东顺路")),
    "620525": (0.5, ("东大街", "回中路", "东城路")),
    "150302": (2.5, ("滨河路", "黄河街", "新华大街", "海北大街")),
    "150303": (1, ("拉僧庙路", "公乌素路", "新海大街")),
    "150304": (1.5, ("团结路", "平安街", "巴音赛路")),
}
DISTRICT_CODES = tuple(DISTRICTS)
DISTRICT_CUM_WEIGHTS = tuple(accumulate(w for w, _roads in DISTRICTS.values()))

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹常武乔贺"
)
GIVEN = (
    "建国", "秀英", "桂兰", "志强", "海燕", "丽娟", "伟", "芳", "军", "红梅", "国庆", "玉兰", "建华", "春梅",
    "小红", "德明", "永强", "淑珍", "晓东", "卫东", "明", "静", "磊", "婷", "超", "艳", "勇", "文博", "子涵",
    "俊杰", "雪梅", "建军", "凤英", "振华", "金凤", "长青", "新民", "利平", "小军", "亚楠",
)  # fmt: skip
BRANDS = (
    "鑫源", "华联", "金盛", "宏达", "万家", "福瑞", "永盛", "恒通", "兴隆", "瑞丰", "嘉禾", "丰泽", "利民",
    "惠民", "百信", "顺发", "德润", "同仁", "聚福", "广源", "安泰", "盛达", "天和", "润丰", "佳美", "大福",
    "隆昌", "众鑫", "康达", "泰和", "富源", "怀庆", "太行", "云台", "豫丰", "金桥", "新世纪", "腾飞",
)  # fmt: skip
STREET_PREFIX = ("老街", "老城", "南关", "北街", "东方红", "", "", "")
MARKET_TYPES = (
    "农贸市场",
    "综合市场",
    "蔬菜批发市场",
    "小商品市场",
    "建材市场",
    "服装市场",
    "水果批发市场",
    "农副产品市场",
)
LARGE_VENUE_TYPES = ("购物中心", "生活超市", "商贸城", "购物广场", "百货大楼")

SHOP_PATTERNS: dict[str, tuple[str, ...]] = {
    Industry.CATERING: ("面馆", "烩面馆", "饺子馆", "烧烤店", "羊肉汤馆", "包子铺", "米线店", "火锅店", "小吃店", "快餐店", "胡辣汤馆", "牛肉面馆"),
    Industry.FOOD_RETAIL: ("粮油店", "水果店", "熟食店", "生鲜店", "副食店", "烟酒店", "蔬菜店", "调料店", "干货店"),
    Industry.GENERAL_RETAIL: ("便利店", "百货商店", "五金店", "服装店", "鞋店", "文具店", "手机店", "眼镜店", "日杂店", "母婴店"),
    Industry.SERVICES: ("理发店", "美容美发", "洗衣店", "家电维修部", "照相馆", "修车行", "开锁店", "裁缝店"),
    Industry.HOTEL: ("宾馆", "快捷酒店", "旅社", "招待所"),
    Industry.TRANSPORT: ("货运部", "出租车服务部", "搬家服务部"),
    Industry.OTHER: ("图文广告部", "装饰部", "电脑维修部"),
}  # fmt: skip
COMPANY_BUSINESS: dict[str, tuple[str, ...]] = {
    Industry.CATERING: ("餐饮管理", "餐饮服务", "饮食"),
    Industry.FOOD_RETAIL: ("食品", "商贸", "农产品"),
    Industry.GENERAL_RETAIL: ("百货", "商贸", "超市"),
    Industry.HOTEL: ("酒店管理", "宾馆"),
    Industry.TOURISM: ("旅行社", "文化旅游"),
    Industry.TRANSPORT: ("运输", "物流", "出租汽车"),
    Industry.SERVICES: ("家政服务", "物业服务", "汽车服务"),
    Industry.MANUFACTURING: ("机械制造", "食品加工", "建材", "纺织"),
    Industry.OTHER: ("科技", "文化传媒", "信息技术"),
}  # fmt: skip
SHOP_INDUSTRIES = (
    (Industry.CATERING, 34),
    (Industry.FOOD_RETAIL, 20),
    (Industry.GENERAL_RETAIL, 26),
    (Industry.SERVICES, 12),
    (Industry.HOTEL, 4),
    (Industry.TRANSPORT, 2),
    (Industry.OTHER, 2),
)
COMPANY_INDUSTRIES = (
    (Industry.CATERING, 15),
    (Industry.FOOD_RETAIL, 15),
    (Industry.GENERAL_RETAIL, 20),
    (Industry.HOTEL, 8),
    (Industry.TOURISM, 5),
    (Industry.TRANSPORT, 8),
    (Industry.SERVICES, 10),
    (Industry.MANUFACTURING, 12),
    (Industry.OTHER, 7),
)
STALL_INDUSTRIES = {Industry.CATERING, Industry.FOOD_RETAIL, Industry.GENERAL_RETAIL}
TIME_HONORED_NAMES = ("老字号", "百年", "传统")

_PERMUTE_MOD = 31**6


def _body8(index: int) -> str:
    """Organisation-code body for entity ``index``: "MA" + 6 scrambled base-31 characters, unique per index."""
    n = (index * 7919 + 104729) % _PERMUTE_MOD
    chars = []
    for _ in range(6):
        n, r = divmod(n, 31)
        chars.append(USCC_ALPHABET[r])
    return "MA" + "".join(reversed(chars))


@dataclass(slots=True)
class _Spec:
    index: int
    kind: str
    name: str
    uscc: str | None
    licence_number: str | None
    legal_representative: str
    address: str
    region_id: str
    industry: str
    is_large_venue: bool
    is_time_honored: bool
    status: str
    registered_on: dt.date
    parent_index: int | None = None

    @property
    def key(self) -> str:
        return self.uscc or self.licence_number or ""


class _Generator:
    def __init__(self, seed: int, region_names: dict[str, str]):
        self.rng = random.Random(seed)
        self.region_names = region_names
        self.markets_by_district: dict[str, list[int]] = {}
        self.market_address: dict[int, str] = {}

    def _pick(self, weighted):
        items, weights = zip(*weighted, strict=True)
        return self.rng.choices(items, weights=weights)[0]

    def _district(self) -> str:
        return DISTRICT_CODES[
            bisect_right(DISTRICT_CUM_WEIGHTS, self.rng.random() * DISTRICT_CUM_WEIGHTS[-1])
        ]

    def _person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def _address(self, district: str) -> str:
        city = self.region_names[district[:4] + "00"]
        road = self.rng.choice(DISTRICTS[district][1])
        return f"{city}{self.region_names[district]}{road}{self.rng.randint(1, 399)}号"

    def _status(self) -> str:
        r = self.rng.random()
        return (
            MerchantStatus.DEREGISTERED
            if r < 0.015
            else MerchantStatus.SUSPENDED
            if r < 0.045
            else MerchantStatus.OPERATING
        )

    def _date(self, start_year: int) -> dt.date:
        start = dt.date(start_year, 1, 1).toordinal()
        return dt.date.fromordinal(self.rng.randint(start, dt.date(2025, 12, 31).toordinal()))

    def market(self, index: int) -> _Spec:
        district = self._district()
        road = self.rng.choice(DISTRICTS[district][1])
        name = f"{self.region_names[district]}{road}{self.rng.choice(MARKET_TYPES)}"
        large = self.rng.random() < 0.5
        address = self._address(district)
        self.markets_by_district.setdefault(district, []).append(index)
        self.market_address[index] = address
        return _Spec(
            index=index,
            kind=MerchantKind.MARKET,
            name=name,
            uscc=build_uscc(authority="9", entity_type="1", division=district, org_body8=_body8(index)),
            licence_number=None,
            legal_representative=self._person(),
            address=address,
            region_id=district,
            industry=Industry.MARKET_OPERATION,
            is_large_venue=large,
            is_time_honored=False,
            status=MerchantStatus.OPERATING if self.rng.random() < 0.97 else MerchantStatus.SUSPENDED,
            registered_on=self._date(1990),
        )

    def other(self, index: int) -> _Spec:
        district = self._district()
        city = CITY_SHORT[district[:4] + "00"]
        rng = self.rng
        roll = rng.random()
        large = time_honored = False
        parent_index = None
        licence = None
        address = self._address(district)
        if roll < 0.006:  # malls, supermarkets, shopping centres
            kind, industry = MerchantKind.ENTERPRISE, Industry.GENERAL_RETAIL
            name = f"{city}{rng.choice(BRANDS)}{rng.choice(LARGE_VENUE_TYPES)}有限公司"
            large = True
            entity_type = "1"
        elif roll < 0.26:
            kind = MerchantKind.ENTERPRISE
            industry = self._pick(COMPANY_INDUSTRIES)
            name = f"{city}市{rng.choice(BRANDS)}{rng.choice(COMPANY_BUSINESS[industry])}有限公司"
            entity_type = "1"
        else:
            kind = MerchantKind.MERCHANT
            industry = self._pick(SHOP_INDUSTRIES)
            shop = rng.choice(SHOP_PATTERNS[industry])
            style = rng.random()
            if style < 0.45:
                name = f"{rng.choice(STREET_PREFIX)}{rng.choice(SURNAMES)}记{shop}"
            elif style < 0.75:
                name = f"{rng.choice(BRANDS)}{shop}"
            else:
                road = rng.choice(DISTRICTS[district][1])
                name = f"{self.region_names[district]}{road}{rng.choice(BRANDS)}{shop}"
            entity_type = "2"
            if industry in (Industry.CATERING, Industry.FOOD_RETAIL) and rng.random() < 0.012:
                time_honored = True
                name = f"{rng.choice(SURNAMES)}记{rng.choice(TIME_HONORED_NAMES)}{shop}"
            markets = self.markets_by_district.get(district)
            if markets and industry in STALL_INDUSTRIES and rng.random() < 0.3:
                parent_index = rng.choice(markets)
                address = (
                    f"{self.market_address[parent_index]}{rng.choice('ABCDEF')}区{rng.randint(1, 180)}号摊位"
                )
            if rng.random() < 0.15:
                licence = f"{district}6{index:08d}"
        registered_on = self._date(1985 if time_honored else 2000)
        return _Spec(
            index=index,
            kind=kind,
            name=name,
            uscc=None
            if licence
            else build_uscc(
                authority="9", entity_type=entity_type, division=district, org_body8=_body8(index)
            ),
            licence_number=licence,
            legal_representative=self._person(),
            address=address,
            region_id=district,
            industry=industry,
            is_large_venue=large,
            is_time_honored=time_honored,
            status=self._status(),
            registered_on=registered_on,
            parent_index=parent_index,
        )


def market_count_for(merchant_count: int) -> int:
    """About 0.6 % markets, at least a couple so small demos still have stalls inside markets."""
    if merchant_count <= 0:
        return 0
    return min(max(2, round(merchant_count * 0.006)), max(1, merchant_count // 5))


def generate_register(*, seed: int, merchant_count: int) -> list[_Spec]:
    """The full, deterministic list of demo entities (markets first)."""
    names = dict(Region.objects.values_list("code", "name"))
    gen = _Generator(seed, names)
    markets = market_count_for(merchant_count)
    specs = [gen.market(i) for i in range(markets)]
    specs.extend(gen.other(i) for i in range(markets, merchant_count))
    return specs


def _existing_keys(specs: list[_Spec]) -> set[str]:
    usccs = [s.uscc for s in specs if s.uscc]
    licences = [s.licence_number for s in specs if s.licence_number]
    found = Merchant.objects.filter(Q(uscc__in=usccs) | Q(licence_number__in=licences)).values_list(
        "uscc", "licence_number"
    )
    return {u or lic for u, lic in found}


def _insert(specs: list[_Spec], market_ids: dict[int, int]) -> int:
    created = 0
    for start in range(0, len(specs), BATCH_SIZE):
        batch = specs[start : start + BATCH_SIZE]
        existing = _existing_keys(batch)
        rows = [
            Merchant(
                kind=s.kind,
                name=s.name,
                uscc=s.uscc,
                licence_number=s.licence_number,
                legal_representative=s.legal_representative,
                address=s.address,
                region_id=s.region_id,
                parent_market_id=market_ids.get(s.parent_index) if s.parent_index is not None else None,
                industry=s.industry,
                is_large_venue=s.is_large_venue,
                is_time_honored=s.is_time_honored,
                status=s.status,
                registered_on=s.registered_on,
            )
            for s in batch
            if s.key not in existing
        ]
        for row in rows:  # bulk_create skips Merchant.save, which fills them otherwise
            merchant_fill_search(row)
        if rows:
            with transaction.atomic():
                Merchant.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
            created += len(rows)
    return created


def seed_register(*, seed: int, merchant_count: int, stdout=None) -> int:
    """Create the demo register; returns how many entities were added by this run."""
    specs = generate_register(seed=seed, merchant_count=merchant_count)
    markets = [s for s in specs if s.kind == MerchantKind.MARKET]
    # A large load builds the search index once at the end instead of maintaining it row by row.
    with search_index_deferred(connection, enabled=merchant_count - Merchant.objects.count() >= 20_000):
        created = _insert(markets, {})
        ids = dict(Merchant.objects.filter(uscc__in=[s.uscc for s in markets]).values_list("uscc", "id"))
        market_ids = {s.index: ids[s.uscc] for s in markets if s.uscc in ids}
        created += _insert([s for s in specs if s.kind != MerchantKind.MARKET], market_ids)
    if stdout is not None:
        stdout.write(f"  市场主体 / register: {created} added, {len(specs) - created} already present")
    from .selectors.register import public_headline_counts_clear

    public_headline_counts_clear()
    return created


def seed_demo_logins(*, seed: int, merchant_count: int, stdout=None) -> None:
    """Demo staff and merchant-owner logins (idempotent: existing users are left as they are)."""
    from .services import staff_assign_role

    User = get_user_model()
    for username, region_code, role, _what in DEMO_LOGINS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.cn"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if role is not None:
            profile = getattr(user, "staff_profile", None)
            if profile is None or profile.region_id != region_code or profile.role != role:
                staff_assign_role(user=user, region_code=region_code, role=role, actor=None)
        elif not Membership.objects.filter(user=user).exists():
            merchant = (
                Merchant.objects.filter(region_id=region_code, status=MerchantStatus.OPERATING)
                .exclude(kind=MerchantKind.MARKET)
                .order_by("id")
                .first()
            )
            if merchant is not None:
                Membership.objects.create(user=user, merchant=merchant, role=MembershipRole.OWNER)
    for username, city, full_name, certificate in demo_inspector_logins():
        ensure_demo_inspector(
            username, city, full_name, certificate, unit=f"{CITY_SHORT.get(city, '')}市市场监管局执法大队"
        )
    if stdout is not None:
        stdout.write(
            f"  演示账号 / demo logins: {len(DEMO_LOGINS)} ready, {len(DEMO_INSPECTORS)} rostered inspectors"
        )


def ensure_demo_inspector(
    username: str, region_code: str, full_name: str, certificate: str, *, unit: str, password: str | None = DEMO_PASSWORD
) -> bool:
    """A rostered demo inspector (idempotent); ``password=None`` for a roster entry that is not a login.
    Returns whether the user was created."""
    from .services import staff_assign_role

    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.cn"})
    if created:
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password"])
    profile = getattr(user, "staff_profile", None)
    if profile is None or (profile.region_id, profile.role, profile.full_name, profile.certificate_number) != (
        region_code,
        StaffRole.INSPECTOR,
        full_name,
        certificate,
    ):
        staff_assign_role(
            user=user,
            region_code=region_code,
            role=StaffRole.INSPECTOR,
            actor=None,
            unit=unit,
            full_name=full_name,
            certificate_number=certificate,
        )
    return created
