"""What the clerk writes for the progress notice; everything else in it comes from the ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhenggai.units.models import Unit


class NoticeDraft(models.Model):
    """The clerk's parts of a round's 整改进展情况的通报: sections 一 and 三, channels, signature.

    Section 二 and the headline statistics are generated from the ledger at each render;
    a round without a draft renders with defaults derived from its metadata
    (``selectors.draft_defaults``).
    """

    round = models.ForeignKey(
        "ledger.Round", on_delete=models.CASCADE, related_name="notice_drafts", verbose_name="巡察轮次"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    #: ``notice`` (整改进展情况的通报) or ``report`` (整改情况报告), one draft of each per round.
    kind = models.CharField("文档", max_length=10, default="notice")
    organisation_text = models.TextField("一、组织领导情况")
    long_term_text = models.TextField("三、长效机制建设")
    next_steps_text = models.TextField("下一步工作打算", blank=True)
    phone = models.CharField("联系电话", max_length=40, blank=True)
    address = models.CharField("邮寄地址", max_length=120, blank=True)
    email = models.CharField("电子邮箱", max_length=120, blank=True)
    signing_unit = models.CharField("署名单位", max_length=100)
    signed_on = models.DateField("成文日期")
    #: The public wording of each measure's progress, as the clerk edited it ({measure id: text}).
    #: A 责任人's progress note never goes into a notice raw: only what is here does.
    progress_texts = models.JSONField("公开的进展表述", default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "整改进展通报稿"
        verbose_name_plural = "整改进展通报稿"
        constraints = [models.UniqueConstraint(fields=["round", "kind"], name="noticedraft_round_kind")]

    def __str__(self) -> str:
        return f"{self.signing_unit} {self.signed_on}"
