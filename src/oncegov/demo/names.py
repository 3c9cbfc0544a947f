"""Name pools for the demo population, by naming tradition, in Vietnamese order.

A full name is ``family middle given``. Each ethnic group of the demo maps to a naming style;
a style holds weighted pools of family names, middle names and given names by sex, with a
second set of middle and given names that became common for children born since about 2000.
Weights are relative frequencies (integers); a pool is expanded into a flat table so picking
costs one ``random()`` call.

Every name is stored NFC together with its folded, accent-free form (``kit.text.fold``), so the
generator builds ``folded_name`` and ``name_key`` without normalising 550,000 names one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncegov.kit.text import fold, nfc

# A name and its folded form, e.g. ("Nông", "nong").
Name = tuple[str, str]


def _words(text: str) -> tuple[str, ...]:
    return tuple(nfc(word) for word in text.split())


def _table(weighted: str, *, given: bool = False) -> tuple[Name, ...]:
    """``"Nông 14, Hoàng 14, Bế"`` → a flat table with each name repeated by its weight
    (1 when omitted), so ``table[int(random() * len(table))]`` is a weighted pick.

    Given names (``given=True``) use the square root of the weight: common ones stay common,
    but not so common that thousands of people share a name and a birthday."""
    table: list[Name] = []
    for item in weighted.split(","):
        text, _, weight = item.strip().rpartition(" ")
        if not weight.isdigit():
            text, weight = item.strip(), "1"
        name = nfc(text)
        repeat = max(1, round(int(weight) ** 0.5)) if given else int(weight)
        table.extend([(name, fold(name))] * repeat)
    return tuple(table)


def _given(weighted: str) -> tuple[Name, ...]:
    return _table(weighted, given=True)


@dataclass(frozen=True, slots=True)
class NamingStyle:
    families: tuple[Name, ...]
    middle_male: tuple[Name, ...]
    middle_female: tuple[Name, ...]
    given_male: tuple[Name, ...]
    given_female: tuple[Name, ...]
    # Names of children born in 2000 or later (mixed with the traditional pools).
    modern_middle_male: tuple[Name, ...]
    modern_middle_female: tuple[Name, ...]
    modern_given_male: tuple[Name, ...]
    modern_given_female: tuple[Name, ...]
    modern_share: float  # how often a child born since 2000 gets a modern name


_MODERN_MIDDLE_MALE = _table(
    "Văn 30, Đức 10, Minh 12, Quang 6, Hoàng 4, Gia 6, Bảo 6, Anh 4, Tuấn 3, Hải 3, Đình 3, "
    "Trung 3, Duy 4, Thành 3, Hữu 2, Nhật 3, Khánh 2"
)
_MODERN_MIDDLE_FEMALE = _table(
    "Thị 36, Thu 6, Ngọc 8, Khánh 4, Phương 5, Minh 4, Bảo 4, Thanh 4, Hà 3, Hồng 3, Diệu 2, "
    "Kim 3, Mai 2, Quỳnh 2, Thùy 3, Lan 2, Bích 2, Gia 2, Tuệ 1"
)
_MODERN_GIVEN_MALE = _given(
    "Khang 4, Bảo 4, Minh 5, Huy 5, Phúc 4, Nam 4, Khánh 3, Đạt 4, Duy 3, Hiếu 3, Tùng 3, "
    "Quân 4, Kiên 3, Long 3, Lâm 3, Vinh 2, An 4, Khôi 3, Phong 3, Thịnh 2, Trung 2, Tú 2, "
    "Sơn 2, Hưng 3, Thái 2, Nguyên 3, Việt 2, Hoàng 2, Đăng 2, Hải 3, Anh, Bách, Bình, Chiến, "
    "Công, Cường, Danh, Dũng, Dương, Đức, Giang, Hào, Hậu, Hiển, Hoà, Hùng, Khải, Khang, Khoa, "
    "Lộc, Luân, Mạnh, Nghĩa, Nhân, Nhật, Phát, Quang, Quý, Tài, Tâm, Thành, Thắng, Thiện, "
    "Tiến, Toàn, Trí, Trọng, Tuấn, Tường, Văn, Vũ, Vương, Thuận, Sang, Sỹ, Kỳ, Định"
)
_MODERN_GIVEN_FEMALE = _given(
    "Ngân 4, Vy 4, My 4, Trâm 3, Thư 4, Như 3, Hân 4, Ngọc 3, Linh 5, Nhi 4, Trang 4, Anh 5, "
    "Diệp 2, Thảo 4, Yến 3, Quỳnh 3, Hà 3, Huyền 3, Giang 3, Phương 3, Mai 3, Uyên 3, Chi 3, "
    "Hương 3, Lan 2, Thương 2, Ly 3, An 3, Ánh, Bích, Châu, Diệu, Dung, Duyên, Hạnh, Hằng, Hiền, "
    "Hoa, Hồng, Khánh, Khuê, Kiều, Lam, Liên, Loan, Minh, Na, Nga, Nguyệt, Nhung, Oanh, Phượng, "
    "Quyên, Tâm, Thanh, Thùy, Thủy, Tiên, Trà, Trinh, Tuyết, Vân, Xuân, Hoài, Lụa, Mơ, Thơ, Ý"
)

# Tày and Nùng share most given names; Nùng has a few of its own (Slay, Pảo, Lìn…).
_TAY_NUNG_GIVEN_MALE = (
    "Dũng 6, Hùng 6, Thắng 5, Lợi 4, Pháo 2, Toàn 4, Sơn 5, Cường 5, Khánh 3, Hiếu 3, Tuấn 5, "
    "Quân 3, Đông 3, Minh 5, Nguyên 3, Tiến 4, Phúc 3, Lâm 3, Chiến 4, Hải 4, Long 3, Thành 4, "
    "Vần 2, Nhượng 1, Sình 2, Chấn 2, Đoàn 2, Hậu 2, Bình 4, Chung 2, Kiên 3, Lực 2, Mạnh 3, "
    "Nam 3, Quý 2, Tài 2, Thịnh 2, Tuyên 2, Vinh 3, Xuân 2, Hưng 3, Đạt 2, Huy 3, Trường 2, "
    "Phong 2, Giang 2, Kỳ 1, Hoàn 2, Thái 2, Triệu 1, Lưu 1, Quyết 2, Ngọc 2, Điền 1, "
    "Bảo, Biên, Cảnh, Chính, Công, Dương, Định, Đức, Được, Giáp, Hạnh, Hào, Hiển, Hiệp, Hòa, "
    "Hoạt, Hợp, Huấn, Hướng, Khải, Khiêm, Khoa, Khương, Lập, Luân, Nghĩa, Nhân, Ninh, Phương, "
    "Quảng, Quyền, Sáng, Sỹ, Tâm, Tân, Tấn, Thạch, Thanh, Thiện, Thông, Thuận, Thức, Tín, "
    "Tình, Toản, Trọng, Trung, Tùng, Tư, Tường, Việt, Vượng, Bằng, Cao, Chỉnh, Chuyên, Doanh, "
    "Đăng, Điệp, Hiến, Hoàng, Kha, Khang, Lịch, Lĩnh, Nguyện, Nhất, Phấn, Phú, Quang, Thể, "
    "Thiêm, Tiệp, Trí, Trình, Tuyến, Vĩnh, Vũ, Bắc, Chức, Dân, Duy, Hải, Hậu, Hoan, Khôi, "
    "Lành, Lộc, Luyện, Mừng, Phi, Quốc, Sang, Sinh, Thái, Thiết, Thủy, Tuệ, Vịnh"
)
_TAY_NUNG_GIVEN_FEMALE = (
    "Hoa 5, Lan 5, Mai 5, Thơm 3, Phượng 3, Hương 5, Huyền 4, Nhung 4, Duyên 3, Hằng 4, Liên 4, "
    "Ánh 3, Dịu 2, Thu 4, Hà 4, Yến 3, Thảo 4, Nga 3, Nhàn 3, Mùi 2, Thắm 3, Dung 4, Chinh 2, "
    "Hiền 4, Hồng 4, Lệ 2, Luyến 2, Nguyệt 2, Nhị 1, Sen 2, Tâm 2, Thúy 3, Vân 3, Xuân 3, "
    "Loan 3, Quyên 2, Trang 3, Linh 3, Ngân 2, Hạnh 3, Đào 2, Tươi 2, Thoa 2, Ngoan 2, Len 1, "
    "Bích, Cúc, Diệp, Điệp, Giang, Hảo, Hậu, Hiên, Hoài, Huệ, Hường, Khánh, Khuyên, Kiều, "
    "Lành, Liễu, Lụa, Lý, Mến, Miên, Minh, My, Nết, Ngà, Nhài, Nhất, Nhiên, Nhớ, Nương, Oanh, "
    "Phấn, Phương, Quế, Quý, Quỳnh, Sinh, Tám, Thái, Thanh, Thêu, Thìn, Thoan, Thủy, Thư, "
    "Thương, Tiên, Tình, Trà, Trinh, Tuyết, Uyên, Vui, Xinh, Yên, Ơn, Khuê, Hợp, Bình, Cẩm, "
    "Chang, Diễm, Doan, Dương, Hằng, Hoàn, Huyên, Kim, Lam, Lâm, Lĩnh, Mận, Mơ, Nhi, Ninh, "
    "Phúc, Sáu, Son, Tâm, Thìa, Thuận, Thùy, Tiền, Tơ, Ưng, Viên, Vinh, Xiêm, Xuyến"
)

_TAY_MIDDLE_MALE = _table("Văn 84, Đức 4, Minh 3, Quang 2, Hữu 2, Xuân 2, Thế 2, Trọng 1")
_TAY_MIDDLE_FEMALE = _table("Thị 88, Thu 3, Ngọc 2, Hồng 2, Thanh 2, Kim 2, Minh 1")

TAY = NamingStyle(
    families=_table(
        "Nông 14, Hoàng 14, Lương 8, Bế 7, Đàm 6, Lục 5, Triệu 5, Lã 3, Mã 3, Hà 4, Lưu 3, "
        "Ngôn 2, Nguyễn 6, Hứa 2, La 2, Đinh 2, Vi 1, Dương 2, Sầm 1, Lý 2, Chu 2, Vương 1, Tô 1"
    ),
    middle_male=_TAY_MIDDLE_MALE,
    middle_female=_TAY_MIDDLE_FEMALE,
    given_male=_given(_TAY_NUNG_GIVEN_MALE),
    given_female=_given(_TAY_NUNG_GIVEN_FEMALE),
    modern_middle_male=_MODERN_MIDDLE_MALE,
    modern_middle_female=_MODERN_MIDDLE_FEMALE,
    modern_given_male=_MODERN_GIVEN_MALE,
    modern_given_female=_MODERN_GIVEN_FEMALE,
    modern_share=0.55,
)

NUNG = NamingStyle(
    families=_table(
        "Hoàng 14, Nông 10, Lục 6, Triệu 6, Lương 5, Lý 6, Mã 4, Vi 4, Đinh 3, Hứa 3, Chu 3, "
        "Lăng 2, Sầm 2, Lô 2, Dương 3, Hà 2, Bế 3, Đàm 3, Ngôn 2, La 2, Phương 2, Tô 2, Nguyễn 3"
    ),
    middle_male=_TAY_MIDDLE_MALE,
    middle_female=_TAY_MIDDLE_FEMALE,
    given_male=_given(
        _TAY_NUNG_GIVEN_MALE + ", Slay 3, Pảo 2, Lìn 2, Nhì 1, Pẩu 1, Sẩu 1, Dìn 1, Vảng 1"
    ),
    given_female=_given(_TAY_NUNG_GIVEN_FEMALE + ", Slao 2, Mẩy 2, Sỉ 1, Slam 1, Páy 1"),
    modern_middle_male=_MODERN_MIDDLE_MALE,
    modern_middle_female=_MODERN_MIDDLE_FEMALE,
    modern_given_male=_MODERN_GIVEN_MALE,
    modern_given_female=_MODERN_GIVEN_FEMALE,
    modern_share=0.5,
)

MONG = NamingStyle(
    families=_table(
        "Giàng 14, Vàng 14, Sùng 10, Lý 10, Thào 10, Hầu 6, Vừ 6, Lầu 6, Mua 4, Ly 3, Hờ 3, "
        "Chảo 2, Tráng 2, Cử 2, Lù 2"
    ),
    middle_male=_table("Seo 34, A 22, Văn 34, Chẩn 4, Mí 3, Chứ 3"),
    middle_female=_table("Thị 70, Mí 26, Seo 4"),
    given_male=_given(
        "Páo 5, Chứ 5, Lử 4, Sính 4, Dìa 4, Pó 3, Chá 4, Nủ 3, Vư 3, Tủa 3, Lềnh 3, Phừ 3, "
        "Chúng 3, Súa 3, Dế 3, Sềnh 2, Chớ 3, Của 3, Khua 2, Lồng 2, Pùa 2, Sử 3, Tú 2, Dình 2, "
        "Chinh 2, Quáng 2, Vảng 2, Sì 2, Chả 2, Nhà 2, Phìn, Kỷ, Chu, Sồng, Cáng, Xà, Giống, "
        "Chà, Mang, Lìa, Dủa, Chư, Tếnh, Xì, Sáng, Di, Cớ, Dí, Hồ, Khai, Lềnh, Mìn, Nếnh, Pàu, "
        "Phúa, Sào, Sểnh, Thề, Tồng, Vần, Xồng, Chồ, Dinh, Giả, Hử, Ký, Nụ, Pha, Sà, Tở"
    ),
    given_female=_given(
        "Mỷ 5, Dợ 4, Chở 4, Mai 4, Sua 4, Dính 3, Pà 3, Mỉ 3, Sinh 3, Chía 3, Xua 3, Dung 2, "
        "Lan 2, Ly 3, Mẩy 2, Sở 2, Súa 2, Dờ 2, Cở 2, Pằng 2, Mua 3, Say 2, Dia 2, Chi 2, Pàng 2, "
        "Dế, Sầu, Máy, Chú, Dúa, Chang, Sông, Lía, Ngọc, Hoa, Thảo, Kía, Xí, Dầu, Giá, "
        "Khu, Lỳ, Mẻ, Nhìa, Sáy, Sểnh, Tênh, Vá, Xia, Chua, Dình, Nủ, Phềnh"
    ),
    modern_middle_male=_table("Văn 5, Seo 3, A 2"),
    modern_middle_female=_table("Thị 8, Mí 2"),
    modern_given_male=_MODERN_GIVEN_MALE,
    modern_given_female=_MODERN_GIVEN_FEMALE,
    modern_share=0.15,
)

DAO = NamingStyle(
    families=_table(
        "Triệu 20, Bàn 18, Đặng 14, Lý 10, Phùng 8, Chảo 6, Hoàng 4, Tẩn 3, Chu 2, Trương 2, Lò 1"
    ),
    middle_male=_table("Văn 55, Kim 15, Quầy 8, Tòng 6, Phụ 4, Đức 4, Sinh 3, Seo 3"),
    middle_female=_table("Thị 62, Mùi 15, Kim 10, Mẩy 6, Sịu 3, Dìu 4"),
    given_male=_given(
        "Chàn 4, Phin 4, Quẩy 3, Kiềm 3, Sơn 3, Vản 3, Phú 3, Tòng 3, Lìn 3, Sinh 3, Chòi 2, "
        "Phẩu 2, Hin 2, Nòng 2, Quyên 2, Sảng 2, Tiến 2, Thắng 2, Kiên 2, Chiêu 2, Pẩu 2, Nhàn 2, "
        "Chấn 2, Dần 2, Thìn 2, Tài 2, Páo 1, Phấu 1, Quý, Liêm, Sềnh, Vảng, Phúc, Hồng, Minh, "
        "Chìu, Kìm, Chạn, Phẳng, Sáng, Triều, Dùn, Cao, Lai, Phủ, Thanh, Tòn, Chài, Diếu, Dìn, "
        "Kiều, Lỷ, Mềnh, Nải, Phây, Sểnh, Thìa, Xuân, Chăn, Lình, Pao, Sài, Tiền"
    ),
    given_female=_given(
        "Mẩy 4, Nhất 3, Chài 3, Sìu 3, Chiêm 3, Khe 2, Slam 2, Mây 3, Pham 2, Dìn 2, Nái 2, "
        "Mùi 3, Phây 2, Sinh 2, Liêm 2, Mai 3, Hương 2, Thanh 2, Nhung 2, Hoa 2, Ván 2, Tằm 2, "
        "Chiều, Phinh, Dụng, Kiều, Lìu, Sày, Tòn, Xuân, Thu, Hạnh, Yến, Lan, Kim, Nga, Phương, "
        "Chàng, Dầu, Hiền, Kìn, Lai, Mảy, Nhàn, Phấy, Quế, Sếnh, Thoan, Vản, Chiển, Lả, Mẫn, Tiên"
    ),
    modern_middle_male=_table("Văn 6, Kim 2, Đức 2"),
    modern_middle_female=_table("Thị 7, Kim 2, Mùi 1"),
    modern_given_male=_MODERN_GIVEN_MALE,
    modern_given_female=_MODERN_GIVEN_FEMALE,
    modern_share=0.2,
)

_KINH_GIVEN_MALE = _given(
    "Anh 4, Bình 4, Cường 4, Dũng 5, Hùng 5, Huy 4, Khang 2, Long 4, Minh 5, Nam 4, Phong 3, "
    "Quang 3, Sơn 4, Tùng 3, Việt 3, Tuấn 5, Đức 4, Hải 4, Hoàng 3, Khoa 2, Lâm 2, Phúc 3, "
    "Thắng 3, Trung 3, Vinh 3, Thành 4, Hiếu 3, Toàn 3, An, Bảo, Chiến, Công, Đạt, Định, "
    "Dương, Giang, Hà, Hiệp, Hiển, Hòa, Hoàn, Huân, Hưng, Khánh, Kiên, Lộc, Lợi, Luân, Mạnh, "
    "Nghĩa, Nguyên, Nhân, Phát, Phương, Quân, Quý, Quyết, Sang, Tài, Tâm, Tân, Thái, Thanh, "
    "Thịnh, Thông, Tiến, Toản, Trí, Trọng, Trường, Tú, Tuyên, Vĩnh, Vũ, Xuân, Cảnh, Diệu, "
    "Điệp, Giáp, Hậu, Hội, Khải, Kỳ, Lân, Lực, Ngọc, Nhật, Quảng, Sỹ, Thuận, Thường, Tiệp, Vượng"
)
_KINH_GIVEN_FEMALE = _given(
    "Anh 4, Chi 3, Giang 3, Hà 4, Hạnh 3, Hoa 4, Hương 5, Lan 4, Linh 5, Mai 4, Ngọc 3, Nhung 3, "
    "Phương 4, Thảo 4, Trang 4, Vân 3, Yến 3, Hằng 4, Huyền 4, Thủy 4, Dung 3, Nga 3, Oanh 2, "
    "Quỳnh 3, Loan 2, Thơ 2, Ánh, Bích, Châu, Cúc, Diệp, Diệu, Đào, Gấm, Hải, Hiền, Hồng, Huệ, "
    "Hường, Khánh, Kim, Lam, Liên, Liễu, Lụa, Ly, Minh, My, Nguyệt, Nhàn, Như, Phượng, Quế, "
    "Sen, Tâm, Thanh, Thắm, Thơm, Thu, Thúy, Thư, Thương, Trâm, Trinh, Tuyết, Uyên, Xuân, Yên, "
    "Bình, Duyên, Hạnh, Hậu, Hoài, Lệ, Loan, Mơ, Ngân, Nhung, Son, Thoa, Tươi, Vui"
)
_KINH_MIDDLE_MALE = _table(
    "Văn 45, Đức 12, Minh 10, Quang 6, Hữu 6, Công 6, Xuân 5, Thanh 4, Mạnh 3"
)
_KINH_MIDDLE_FEMALE = _table(
    "Thị 60, Thu 7, Ngọc 6, Thanh 6, Hồng 6, Phương 4, Minh 3, Kim 4, Thúy 2, Bích 2"
)

KINH = NamingStyle(
    families=_table(
        "Nguyễn 30, Trần 10, Lê 8, Phạm 7, Hoàng 5, Vũ 5, Đỗ 4, Bùi 4, Đặng 3, Ngô 3, Dương 2, "
        "Đinh 2, Phan 3, Trương 2, Lý 1, Đào 2, Vương 1, Hà 2, Mai 1, Tạ 1, Lương 1, Cao 1, Lưu 1"
    ),
    middle_male=_KINH_MIDDLE_MALE,
    middle_female=_KINH_MIDDLE_FEMALE,
    given_male=_KINH_GIVEN_MALE,
    given_female=_KINH_GIVEN_FEMALE,
    modern_middle_male=_MODERN_MIDDLE_MALE,
    modern_middle_female=_MODERN_MIDDLE_FEMALE,
    modern_given_male=_MODERN_GIVEN_MALE,
    modern_given_female=_MODERN_GIVEN_FEMALE,
    modern_share=0.7,
)

SAN_CHAY = NamingStyle(
    families=_table("Hoàng 6, Lâm 5, Lương 4, La 4, Đàm 3, Tô 3, Triệu 3, Nịnh 3, Trần 2, Hà 2"),
    middle_male=_TAY_MIDDLE_MALE,
    middle_female=_TAY_MIDDLE_FEMALE,
    given_male=_given(_TAY_NUNG_GIVEN_MALE),
    given_female=_given(_TAY_NUNG_GIVEN_FEMALE),
    modern_middle_male=_MODERN_MIDDLE_MALE,
    modern_middle_female=_MODERN_MIDDLE_FEMALE,
    modern_given_male=_MODERN_GIVEN_MALE,
    modern_given_female=_MODERN_GIVEN_FEMALE,
    modern_share=0.45,
)

LO_LO = NamingStyle(
    families=_table("Lò 6, Sầm 5, Lục 3, Lý 4, Chi 3, Vần 3, Ly 2"),
    middle_male=_table("Văn 80, Seo 10, Đức 5, Chẩn 5"),
    middle_female=_table("Thị 90, Mí 10"),
    given_male=_given(
        "Sằn 3, Chẳn 2, Pó 2, Dình 2, Lử 2, Sơn 3, Hùng 2, Thắng 2, Chiến 2, Vần 2, Páo 2, Kiên 2"
    ),
    given_female=_given("Mỷ 3, Sua 2, Pà 2, Hoa 2, Lan 2, Mai 3, Dung 2, Sinh 2, Hằng 2, Nhung 2"),
    modern_middle_male=_MODERN_MIDDLE_MALE,
    modern_middle_female=_MODERN_MIDDLE_FEMALE,
    modern_given_male=_MODERN_GIVEN_MALE,
    modern_given_female=_MODERN_GIVEN_FEMALE,
    modern_share=0.25,
)

HOA = NamingStyle(
    families=_table(
        "Trương 4, Lý 4, Hoàng 3, Lâm 4, Trần 3, Dương 2, Lưu 3, Phùng 2, Mạc 2, Vương 2"
    ),
    middle_male=_KINH_MIDDLE_MALE,
    middle_female=_KINH_MIDDLE_FEMALE,
    given_male=_KINH_GIVEN_MALE,
    given_female=_KINH_GIVEN_FEMALE,
    modern_middle_male=_MODERN_MIDDLE_MALE,
    modern_middle_female=_MODERN_MIDDLE_FEMALE,
    modern_given_male=_MODERN_GIVEN_MALE,
    modern_given_female=_MODERN_GIVEN_FEMALE,
    modern_share=0.6,
)

# Ethnic code (registry.reference.ETHNIC_GROUPS) → naming style; groups not listed are few in
# the province and take the Tày style, the regional majority.
STYLES: dict[str, NamingStyle] = {
    "01": KINH,
    "02": TAY,
    "04": HOA,
    "07": NUNG,
    "08": MONG,
    "09": DAO,
    "15": SAN_CHAY,
    "43": LO_LO,
}


def style_for(ethnicity_code: str) -> NamingStyle:
    return STYLES.get(ethnicity_code, TAY)


# Hamlet names: Tày-Nùng toponyms (Nà "rice field", Khuổi "stream", Pác "mouth", Bó "spring",
# Lũng "valley", Phja "mountain", Cốc "foot of", Nặm "water", Khau "pass"…) + a second syllable.
HAMLET_HEADS: tuple[str, ...] = _words(
    "Nà Khuổi Pác Bó Lũng Phja Cốc Pò Nặm Khau Slam Lủng Kéo Bản Co Thang Tổng"
)
HAMLET_TAILS: tuple[str, ...] = _words(
    "Rẻo Ky Mần Lạn Thin Pầu Luông Vài Mỏ Sla Khiếu Pục Nưa Giáo Chang Poóc Đeng Củng Ngần "
    "Bon Chấu Pẻo Tềnh Mạ Cáp Kiềng Lầy Nhùng Slằng Phầy Khoang Piệt Tốp Lếch Đoỏng Rầy"
)

# Mobile prefixes of the Vietnamese carriers (10-digit numbers).
PHONE_PREFIXES: tuple[str, ...] = _words(
    "086 096 097 098 032 033 034 035 036 037 038 039 088 091 094 083 084 085 081 082 "
    "070 079 077 076 078 089 090 093"
)
