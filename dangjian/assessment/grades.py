"""党建考核等次 (§三(一)1): 优秀, 良好, 一般, 差, and the score each needs.

"结合年度考核评议情况，对年度综合考核获“优秀”等级的，给予一定物质奖励 … 评价为“一般”以下的，要进行约谈、
限期整改". The score (0–100) sets the highest grade an organization may get; 组织部 may give a lower
one (一票否决, 优秀比例) only with a written reason. The grade is the one place the allowance reads
"经考核合格" from (§三(一)3): 一般 and better pass, 差 does not.
"""
from __future__ import annotations

from decimal import Decimal

from ..models.base import LabeledEnum

MAX_SCORE = Decimal("100")


class AssessmentGrade(LabeledEnum):
    EXCELLENT = "excellent", "优秀"
    GOOD = "good", "良好"
    FAIR = "fair", "一般"
    POOR = "poor", "差"

    @property
    def floor(self) -> Decimal:
        """The lowest score of the grade's band."""
        return BANDS[self]

    @property
    def eligible(self) -> bool:
        """考核合格 (兼职支部书记补贴, §三(一)3): 一般 and better."""
        return self is not AssessmentGrade.POOR

    @property
    def needs_rectification(self) -> bool:
        """"评价为“一般”以下的，要进行约谈、限期整改"."""
        return self in (AssessmentGrade.FAIR, AssessmentGrade.POOR)

    @property
    def rank(self) -> int:
        return list(AssessmentGrade).index(self)

    @property
    def css(self) -> str:
        return {"excellent": "dj-tag-red", "good": "", "fair": "dj-tag-amber", "poor": "dj-tag-amber"}[self.value]


BANDS = {
    AssessmentGrade.EXCELLENT: Decimal("90"),
    AssessmentGrade.GOOD: Decimal("80"),
    AssessmentGrade.FAIR: Decimal("60"),
    AssessmentGrade.POOR: Decimal("0"),
}


def band_of(score: Decimal) -> AssessmentGrade:
    """The highest grade a score allows: 优秀 ≥ 90, 良好 80–89.9, 一般 60–79.9, 差 below 60."""
    for grade in AssessmentGrade:
        if score >= grade.floor:
            return grade
    return AssessmentGrade.POOR


def band_label(grade: AssessmentGrade) -> str:
    ceiling = {AssessmentGrade.EXCELLENT: "100", AssessmentGrade.GOOD: "89.9", AssessmentGrade.FAIR: "79.9",
               AssessmentGrade.POOR: "59.9"}[grade]
    return f"{grade.floor}–{ceiling}分"


RULES_TEXT = ("满分100分：90分及以上可评「优秀」，80–89.9分「良好」，60–79.9分「一般」，60分以下「差」。"
              "组织部可评定低于分数段的等次（如一票否决、优秀比例限制），须写明理由；不能高于分数段。"
              "「一般」「差」须约谈并限期整改；「差」为考核不合格。")
