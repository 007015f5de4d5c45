"""The staff pages (namespace ``web``). Every page needs a login except the login page."""

from django.urls import path

from . import converters  # noqa: F401  (registers ``sha256``)
from .views import accounts, corrections, evidence, imports, measures, problems, rounds, search, tasks

app_name = "web"

urlpatterns = [
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
    path("", tasks.home, name="home"),
    path("search/", search.search, name="search"),
    # rounds
    path("rounds/", rounds.round_list, name="round-list"),
    path("rounds/new/", rounds.round_create, name="round-create"),
    path("rounds/import/", imports.import_upload, name="import"),
    path("rounds/import/<sha256:digest>/", imports.import_preview_page, name="import-preview"),
    path("rounds/import/confirm/", imports.import_confirm, name="import-confirm"),
    path("rounds/<int:pk>/", rounds.round_detail, name="round-detail"),
    path("rounds/<int:pk>/edit/", rounds.round_edit, name="round-edit"),
    path("rounds/<int:pk>/sign/", rounds.round_sign, name="round-sign"),
    path("rounds/<int:pk>/import/", imports.round_import_upload, name="round-import"),
    path(
        "rounds/<int:pk>/import/<sha256:digest>/", imports.round_import_preview, name="round-import-preview"
    ),
    path("rounds/<int:pk>/import/confirm/", imports.round_import_confirm, name="round-import-confirm"),
    path("rounds/<int:pk>/documents/<int:doc_pk>/", imports.round_document, name="round-document"),
    path("rounds/<int:pk>/findings/new/", rounds.finding_create, name="finding-create"),
    path("rounds/<int:pk>/measures/", rounds.round_measures, name="round-measures"),
    path("rounds/<int:pk>/measures/assign/", rounds.round_assign, name="round-assign"),
    # problems
    path("problems/<int:pk>/", problems.problem_detail, name="problem-detail"),
    path("problems/<int:pk>/edit/", problems.problem_edit, name="problem-edit"),
    path("problems/<int:pk>/close/", problems.problem_close, name="problem-close"),
    path("problems/<int:pk>/send-back/", problems.problem_send_back, name="problem-send-back"),
    path("problems/<int:pk>/reopen/", problems.problem_reopen, name="problem-reopen"),
    path("problems/<int:pk>/measures/new/", problems.measure_create, name="measure-create"),
    # corrections of the findings tree; soft delete and restore (views/corrections.py)
    path("problems/<int:pk>/correct/", corrections.finding_correct, name="finding-correct"),
    path("problems/<int:pk>/move/", corrections.finding_move, name="finding-move"),
    path("problems/<int:pk>/reparent/", corrections.finding_reparent, name="finding-reparent"),
    path("problems/<int:pk>/split/", corrections.finding_split, name="finding-split"),
    path("problems/<int:pk>/merge/", corrections.finding_merge, name="finding-merge"),
    path("problems/<int:pk>/delete/", corrections.finding_delete, name="finding-delete"),
    path("problems/<int:pk>/restore/", corrections.finding_restore, name="finding-restore"),
    path("rounds/<int:pk>/delete/", corrections.round_delete, name="round-delete"),
    path("rounds/<int:pk>/restore/", corrections.round_restore, name="round-restore"),
    path("rounds/deleted/", corrections.round_trash, name="round-trash"),
    # measures
    path("measures/<int:pk>/", measures.measure_detail, name="measure-detail"),
    path("measures/<int:pk>/edit/", measures.measure_edit, name="measure-edit"),
    path(
        "measures/<int:pk>/accept-suggestion/",
        measures.measure_accept_suggestion,
        name="measure-accept-suggestion",
    ),
    path("measures/<int:pk>/split/", measures.measure_split, name="measure-split"),
    path("measures/<int:pk>/move/", measures.measure_move, name="measure-move"),
    path("measures/<int:pk>/delete/", measures.measure_delete, name="measure-delete"),
    path("measures/<int:pk>/progress/", measures.progress_add, name="progress-add"),
    path("measures/<int:pk>/submit/", measures.measure_submit, name="measure-submit"),
    path("measures/<int:pk>/review/", measures.measure_review, name="measure-review"),
    # evidence
    path("evidence/<int:pk>/", evidence.evidence_download, name="evidence-download"),
]
