"""VÍ DỤ (không phải văn bản thật): Kế hoạch của Ban Thường vụ Tỉnh ủy về sáng kiến, 2025 - 2030.

Dựng theo các kế hoạch thật của Tỉnh ủy Cao Bằng: văn bản của Đảng (số hiệu dạng “…-KH/TU”,
báo cáo theo thể thức Hướng dẫn 36-HD/VPTW); ban hành ngày 05/11/2025, phát động trong “quý
IV/2025” (tức không sớm hơn ngày ban hành); chỉ tiêu “100% cán bộ, đảng viên có ít nhất 01 sáng
kiến/năm”; hằng năm báo cáo số liệu trước ngày 15/11 về Tỉnh ủy, qua Ban Tuyên giáo và Dân vận
Tỉnh ủy; sơ kết quý IV/2027, tổng kết quý IV/2030. Số hiệu “VD-25-KH/TU” là mã ví dụ.
"""

from thidua import (
    Award,
    Campaign,
    Milestone,
    Participants,
    Quota,
    Recurrence,
    Responsibility,
    Target,
)

RECIPIENT = "Tỉnh ủy, qua Ban Tuyên giáo và Dân vận Tỉnh ủy"

campaign = Campaign(
    code="VD-25-KH/TU",
    title=(
        "Đẩy mạnh phong trào thi đua “Cán bộ, đảng viên đổi mới, sáng tạo, có sáng kiến” "
        "giai đoạn 2025 - 2030"
    ),
    issuer="Ban Thường vụ Tỉnh ủy Cao Bằng",
    signer="Phó Bí thư Thường trực Tỉnh ủy",
    issued="ngày 05/11/2025",
    kind="thường xuyên",
    period="giai đoạn 2025 - 2030",
    organizer="BTGDV-TU",
    contact="Ban Tuyên giáo và Dân vận Tỉnh ủy Cao Bằng",
    participants=Participants(
        groups=["KHOI-DANG", "DANG-UY-TRUC-THUOC", "KHOI-DOAN-THE"], exclude=["BTGDV-TU"]
    ),
    contents=[
        "Mỗi cán bộ, đảng viên, công chức, viên chức có ít nhất 01 sáng kiến, giải pháp được "
        "công nhận mỗi năm",
        "Xây dựng, nhân rộng các mô hình, cách làm hay trong công tác xây dựng Đảng",
    ],
    targets=[
        Target(
            code="sang-kien",
            description="100% cán bộ, đảng viên, công chức, viên chức có ít nhất 01 sáng kiến/năm",
            numerator="Số cán bộ, đảng viên có sáng kiến, giải pháp được công nhận trong năm",
            denominator="Tổng số cán bộ, đảng viên của cơ quan, đơn vị",
            goal="100%",
            per="year",
        ),
        Target(
            code="mo-hinh",
            description="Mỗi cơ quan, đơn vị có ít nhất 01 mô hình, cách làm hay được nhân rộng mỗi năm",
            numerator="Số mô hình, cách làm hay được công nhận, nhân rộng trong năm",
            goal=1,
            per="year",
        ),
    ],
    awards=[
        Award(
            name="Bằng khen của Ban Thường vụ Tỉnh ủy",
            quota=Quota(per_unit=1),
            dossier=["Tờ trình đề nghị khen thưởng", "Báo cáo thành tích"],
        ),
    ],
    responsibilities=[
        Responsibility(
            units=["DANG-UY-TRUC-THUOC"],
            tasks=[
                "Lãnh đạo, chỉ đạo cấp ủy, tổ chức đảng trực thuộc triển khai Kế hoạch",
                "Đăng ký chỉ tiêu sáng kiến của cán bộ, đảng viên ngay từ đầu năm",
            ],
        ),
        Responsibility(
            units=["KHOI-DANG", "KHOI-DOAN-THE"],
            tasks=["Phát động, hướng dẫn cán bộ, đảng viên, đoàn viên, hội viên đăng ký sáng kiến"],
        ),
    ],
    milestones=[
        Milestone(kind="phát động", when="quý IV/2025"),
        Milestone(
            kind="báo cáo",
            id="so-lieu-nam",
            title="Báo cáo kết quả và số liệu sáng kiến",
            submit="số liệu chỉ tiêu",
            when="trước ngày 15/11",
            recurrence=Recurrence(every="hằng năm", start=2026, until=2030),
            recipient=RECIPIENT,
            reminders=[10, 3],
        ),
        Milestone(kind="sơ kết", when="quý IV/2027", recipient=RECIPIENT, reminders=[15, 5]),
        Milestone(kind="tổng kết", when="quý IV/2030", recipient=RECIPIENT, reminders=[15, 5]),
    ],
)
