"""The one catalogue of what the report and the KPI table call things, Japanese first, English second.

:data:`KPIS` lists every KPI the tables show: its key in ``kpis.json`` (dotted for nested values), its
name in Japanese and English, how it is printed, its formula and the convention it follows (MATSim DRT,
FleetPy, or the Japanese municipal one). :data:`TERMS` defines the words the KPIs are built on (request,
booking, leg, rider, served). :data:`TEXT` holds every other heading, column and axis label.
:func:`bi` joins a pair as ``日本語 / English``.
"""

from __future__ import annotations

from dataclasses import dataclass

MATSIM = "MATSim DRT"
FLEETPY = "FleetPy / Via"
MUNICIPAL = "自治体評価 / Japanese municipal"
VISION = "定住自立圏ビジョン / regional vision"
PROJECT = "本モデル / this model"


@dataclass(frozen=True)
class Kpi:
    """One KPI as shown: ``key`` in ``kpis.json``, names, print format, formula and convention."""

    key: str
    ja: str
    en: str
    fmt: str
    formula: str
    convention: str

    @property
    def label(self) -> str:
        return bi(self.ja, self.en)


def bi(ja: str, en: str) -> str:
    """``日本語 / English``: how every label in the report reads."""
    return f"{ja} / {en}"


KPIS: tuple[Kpi, ...] = (
    Kpi("requests", "依頼件数", "trip requests", "{:d}",
        "依頼 (トリップ) の件数。乗継ぎは1件 / requests made; a feeder-train-feeder chain counts once", PROJECT),
    Kpi("served", "完了件数", "requests served", "{:d}",
        "全区間を乗り終えた依頼 / requests whose every leg was completed (parties, not persons)", MATSIM),
    Kpi("rejected", "お断り件数", "requests rejected", "{:d}",
        "空き車両なし・区域外で断った依頼 / requests refused (no feasible vehicle, outside the area)", MATSIM),
    Kpi("rejection_rate", "お断り率", "rejection rate", "{:.1%}",
        "お断り件数 ÷ 依頼件数 / rejected ÷ requests", MATSIM),
    Kpi("cancelled", "取消件数", "requests cancelled", "{:d}",
        "乗車前に利用者が取り消した依頼 / requests cancelled by the caller before the ride", MUNICIPAL),
    Kpi("no_shows", "不在件数", "no-shows", "{:d}",
        "迎車時に利用者が現れなかった依頼 / requests whose rider did not come to the pickup", MUNICIPAL),
    Kpi("riders_served", "利用者数（人）", "riders served (persons)", "{:d}",
        "完了した依頼の人数の和 (同行者を含む) / sum of party sizes of served requests", MUNICIPAL),
    Kpi("riders_per_day", "1日あたり利用者数", "riders served per day", "{:.1f}",
        "利用者数 ÷ 運行日数 / riders served ÷ service days", MUNICIPAL),
    Kpi("drt_rider_legs", "タクシー乗車人回", "rider legs by taxi", "{:d}",
        "完了したタクシー区間の人数の和 (乗継ぎは区間ごと) / riders summed over completed taxi legs", FLEETPY),
    Kpi("rides_per_vehicle_hour", "車両1時間あたり乗車人回", "rides per vehicle-hour", "{:.2f}",
        "タクシー乗車人回 ÷ 車両運行時間 (勤務時間) / rider legs by taxi ÷ vehicle shift hours", FLEETPY),
    Kpi("passengers_per_run", "1運行あたり乗車人数", "passengers per run", "{:.2f}",
        "乗車人数 ÷ 運行回数 (空車から空車まで1運行) / riders boarded ÷ runs (empty to empty again)", MUNICIPAL),
    Kpi("pooled_share", "乗合率", "pooled share", "{:.1%}",
        "他の予約と同乗した区間 ÷ 完了区間 / completed taxi legs that shared the vehicle ÷ all", MUNICIPAL),
    Kpi("occupancy_pkm_per_vkm", "平均乗車密度 (人キロ/車キロ)", "passenger-km per vehicle-km", "{:.2f}",
        "人キロ ÷ 車キロ / passenger-km ÷ vehicle-km", MATSIM),
    Kpi("empty_km_share", "空車走行率", "empty-km share", "{:.1%}",
        "空車キロ ÷ 車キロ / km driven empty ÷ vehicle-km", MATSIM),
    Kpi("vehicle_km", "走行キロ (km)", "vehicle-km", "{:,.0f}", "全車両の走行距離 / distance driven by all vehicles",
        MATSIM),
    Kpi("vehicle_hours", "車両運行時間 (h)", "vehicle-hours", "{:,.1f}",
        "勤務時間の和 (超過勤務を含む) / shift hours of all vehicles, overtime included", FLEETPY),
    Kpi("wait_min.mean", "平均待ち時間 (分)", "mean wait (min)", "{:.1f}",
        "迎車時刻 − 希望時刻 (到着指定は約束枠の始め) / pickup − requested time (arrive-by: window start)", MATSIM),
    Kpi("wait_min.p95", "待ち時間95%値 (分)", "wait p95 (min)", "{:.1f}",
        "待ち時間の95パーセンタイル / 95th percentile of waits", MATSIM),
    Kpi("wait_under_10_min_share", "10分以内の迎車割合", "waits within 10 min", "{:.1%}",
        "待ち≦10分の区間 ÷ 完了区間 / taxi legs waiting ≤ 10 min ÷ completed", MATSIM),
    Kpi("wait_under_15_min_share", "15分以内の迎車割合", "waits within 15 min", "{:.1%}",
        "待ち≦15分の区間 ÷ 完了区間 / taxi legs waiting ≤ 15 min ÷ completed", MATSIM),
    Kpi("ride_min.mean", "平均乗車時間 (分)", "mean ride (min)", "{:.1f}", "降車 − 乗車 / drop-off − pickup", MATSIM),
    Kpi("walk_min.mean", "平均徒歩時間 (分)", "mean walk (min)", "{:.1f}",
        "乗降場所までと乗降場所からの徒歩 (4 km/h) / walk to and from where the vehicle stops, both ends", PROJECT),
    Kpi("journey_min.mean", "平均所要時間 (徒歩+待ち+乗車, 分)", "mean walk + wait + ride (min)", "{:.1f}",
        "徒歩 + 待ち + 乗車 / walk + wait + ride of each completed taxi leg", PROJECT),
    Kpi("detour_factor.mean", "平均迂回率", "mean detour factor", "{:.2f}",
        "乗車時間 ÷ 直行の所要時間 / ride time ÷ direct drive time", MATSIM),
    Kpi("on_time_share", "定時率", "on-time share", "{:.1%}",
        "約束の迎車枠内に乗車 (到着指定は時刻どおり到着) ÷ 完了区間 / pickups within the promised window ÷ all",
        "RideCo"),
    Kpi("cross_municipal_trips", "市町村をまたぐ依頼", "cross-municipal trips", "{:d}",
        "出発地と最終目的地の市町村が異なる完了依頼 / served requests ending in another municipality", PROJECT),
    Kpi("rail_legs", "鉄道乗車人回", "rider legs by train", "{:d}", "完了した鉄道区間の人数 / riders on trains",
        PROJECT),
    Kpi("station_feeding.riders_per_day", "駅の送迎利用者 (人/日)", "station riders per day", "{:.1f}",
        "上信電鉄の駅で乗降したタクシー区間の人数 ÷ 日数 / taxi riders to or from a Joshin station ÷ days", VISION),
    Kpi("station_feeding.annualised_boardings_alightings", "駅乗降客数 年換算", "station boardings a year",
        "{:,.0f}", "駅の送迎利用者 × 365 / station riders per day × 365", VISION),
    Kpi("cost_yen", "運行経費 (円)", "operating cost (yen)", "{:,.0f}",
        "車両時間 × 時間単価 + 車キロ × キロ単価 + 台数 × 日額 / hours × rate + km × rate + vehicles × day rate",
        MUNICIPAL),
    Kpi("fare_revenue_yen", "運賃収入 (円)", "fare revenue (yen)", "{:,.0f}",
        "完了区間の運賃の和 / fares of completed legs", MUNICIPAL),
    Kpi("cost_per_rider_yen", "利用者1人あたり経費 (円)", "cost per rider (yen)", "{:,.0f}",
        "運行経費 ÷ 利用者数 / operating cost ÷ riders served", MUNICIPAL),
    Kpi("subsidy_per_rider_yen", "利用者1人あたり公費負担 (円)", "subsidy per rider (yen)", "{:,.0f}",
        "(運行経費 − 運賃収入) ÷ 利用者数 / (cost − fares) ÷ riders served", MUNICIPAL),
    Kpi("fare_recovery", "収支率", "fare recovery", "{:.1%}", "運賃収入 ÷ 運行経費 / fare revenue ÷ operating cost",
        MUNICIPAL),
)

KPI_BY_KEY = {k.key: k for k in KPIS}

# The words the KPIs are built on (the 定義 section of the report).
TERMS: tuple[tuple[str, str, str], ...] = (
    ("依頼 (トリップ)", "request (trip)",
     "利用者が電話・アプリで頼む1回の移動 (出発地→目的地、希望時刻、人数)。鉄道乗継ぎでも1件。 / One journey a caller "
     "asks for: origin, destination, time, party. A feeder-train-feeder chain is still one request."),
    ("予約", "booking",
     "配車システムに登録された1台の車両による1区間の予約。直行は依頼1件=予約1件、乗継ぎは依頼1件=予約2件まで。"
     " / One taxi leg held by the dispatcher for one party. A direct ride is one booking; a rail chain has up to two."),
    ("区間", "leg",
     "1つの乗り物で移動する部分 (タクシー区間または鉄道区間)。徒歩は区間に数えない。"
     " / The part of a trip on one vehicle: a taxi leg or a train leg; walks are not legs."),
    ("利用者 (人)", "rider",
     "乗車した1人。2人連れの依頼は利用者2人。 / One person carried: a party of two is two riders."),
    ("完了 (件)", "served",
     "全区間を乗り終えた依頼の件数 (人数ではない)。「完了件数」と「利用者数」の差は同行者の数。 / Requests whose "
     "every leg was completed, counted once per party; 'riders served' counts persons, so the two differ by "
     "the companions."),
    ("乗車人回", "rider leg",
     "区間ごとに数えた利用者。乗継ぎ利用者はタクシー2区間で2人回。車両1時間あたりの指標に使う。 / Riders counted per "
     "leg; a rider of a chain counts on each taxi leg. Used for rides per vehicle-hour."),
)

# Rejection reasons of dispatch.model.RejectionReason.
REASONS: dict[str, tuple[str, str]] = {
    "outside_service_hours": ("運行時間外", "outside service hours"),
    "too_little_notice": ("予約が直前すぎる", "too little notice"),
    "beyond_horizon": ("予約受付期間より先", "beyond the booking horizon"),
    "party_too_large": ("人数が定員を超える", "party too large"),
    "outside_service_area": ("運行区域外 (市町村をまたぐ)", "outside the service area"),
    "no_vehicle_available": ("空き車両なし", "no vehicle available"),
    "invalid_request": ("不正な依頼", "invalid request"),
    "no_stop_within_walk": ("徒歩圏に停留所なし", "no stop within walking distance"),
    "same_stop": ("乗車と降車が同じ停留所", "pickup and drop-off at the same stop"),
}

TEXT: dict[str, tuple[str, str]] = {
    "title": ("乗合タクシー シミュレーション報告", "Shared-taxi simulation report"),
    "compare_title": ("シナリオ比較", "Scenario comparison"),
    "generated": ("作成日時", "generated"),
    "scenario": ("シナリオ", "scenario"),
    "kpis": ("主要指標", "Key indicators"),
    "kpi": ("指標", "KPI"),
    "value": ("値", "value"),
    "interval": ("95%信頼区間", "95% confidence interval"),
    "definitions": ("定義", "Definitions"),
    "terms": ("用語", "Terms"),
    "term_ja": ("用語", "term"),
    "term_en": ("英語", "English"),
    "meaning": ("意味", "meaning"),
    "formula": ("算式", "formula"),
    "convention": ("準拠", "convention"),
    "basis": ("数値の前提", "What the figures rest on"),
    "item": ("項目", "item"),
    "detail": ("内容", "detail"),
    "rejections": ("お断りの理由", "Rejections by reason"),
    "reason": ("理由", "reason"),
    "count": ("件数", "requests"),
    "none": ("なし", "none"),
    "per_fleet": ("車両の所属市町村別", "Per fleet (owning municipality)"),
    "per_municipality": ("市町村別の費用負担", "Cost sharing per municipality"),
    "municipality": ("市町村", "municipality"),
    "fleet": ("車両群", "fleet"),
    "vehicles": ("台数", "vehicles"),
    "seats": ("定員", "seats"),
    "wheelchair_vehicles": ("車いす対応車", "wheelchair vehicles"),
    "depot": ("車庫", "depot"),
    "shifts": ("運行時間帯", "shifts"),
    "vehicle_km": ("走行キロ", "vehicle-km"),
    "vehicle_hours": ("車両時間", "vehicle-hours"),
    "rider_legs": ("乗車人回", "rider legs"),
    "rides_per_vehicle_hour": ("車両1時間あたり乗車人回", "rides per vehicle-hour"),
    "occupancy": ("人キロ/車キロ", "pkm per vkm"),
    "riders_resident": ("住民の利用者数", "riders resident"),
    "pickups": ("乗車 (人)", "pickups"),
    "dropoffs": ("降車 (人)", "drop-offs"),
    "fare_revenue": ("運賃収入 (円)", "fare revenue (yen)"),
    "cost_share": ("負担額 (円)", "cost share (yen)"),
    "share": ("負担割合", "share"),
    "net_cost": ("運賃控除後 (円)", "net of fares (yen)"),
    "rail": ("鉄道との接続", "Rail feeder"),
    "station": ("駅", "station"),
    "riders": ("利用者 (人)", "riders"),
    "validation": ("公表値との比較 (富岡市 愛タク)", "Published vs simulated (Tomioka 愛タク)"),
    "published": ("公表値", "published"),
    "simulated": ("シミュレーション", "simulated"),
    "why": ("差の理由", "why they differ"),
    "note": ("注", "note"),
    "figures": ("図", "Figures"),
    "files": ("出力ファイル", "Files"),
    # plots
    "wait_title": ("待ち時間の分布", "Wait distribution"),
    "wait_x": ("希望時刻 (または約束時刻) から迎車までの分", "wait from requested (or promised) time to pickup, min"),
    "wait_y": ("タクシー区間の数", "rider legs"),
    "served_legs": ("完了区間", "served legs"),
    "min10": ("10分", "10 min"),
    "min15": ("15分", "15 min"),
    "occ_title": ("時刻別の乗車状況", "Occupancy over the day"),
    "occ_x": ("時刻 (時)", "time of day, h"),
    "occ_y": ("人数・台数 (日平均)", "count (mean over days)"),
    "on_board": ("乗車中の人数", "riders on board"),
    "busy": ("乗客を乗せている車両", "vehicles with riders"),
    "fleet_size": ("保有台数", "fleet"),
    "util_title": ("車両の稼働内訳", "Fleet utilisation"),
    "util_x": ("1日あたり時間", "hours per day"),
    "util_loaded": ("実車走行", "driving with riders"),
    "util_empty": ("空車走行", "driving empty"),
    "util_stops": ("乗降中", "at stops"),
    "util_idle": ("待機", "idle on shift"),
    "map_title": ("道路区間別の走行キロと需要", "Vehicle-km by road edge and demand"),
    "map_x": ("経度", "longitude"),
    "map_y": ("緯度", "latitude"),
    "map_bar": ("走行キロ/日", "vehicle-km per day"),
    "map_demand": ("1日あたり乗降数", "pickups + drop-offs per day"),
    "map_station": ("上信電鉄の駅", "Joshin line station"),
    "cmp_title": ("シナリオ比較 (大きい方を1とした棒、数字は値)", "Scenario comparison (bars scaled to the larger)"),
}


def text(key: str, sep: str = " / ") -> str:
    """The label ``key`` of :data:`TEXT` as ``日本語 / English`` (``sep`` between; ``"\\n"`` for plots)."""
    ja, en = TEXT[key]
    return f"{ja}{sep}{en}"


def reason_label(reason: str) -> str:
    """A rejection reason as ``日本語 / English`` (the code itself when unknown)."""
    pair = REASONS.get(reason)
    return bi(*pair) if pair else reason


def kpi_label(key: str) -> str:
    """The bilingual name of a KPI by its ``kpis.json`` key (the key itself when not catalogued)."""
    kpi = KPI_BY_KEY.get(key)
    return kpi.label if kpi is not None else key
