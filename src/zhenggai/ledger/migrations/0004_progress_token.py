# A progress entry remembers the one-time token of the form that sent it, so that the same
# form sent twice (back and resubmit) makes one entry. Reversible: both operations undo.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_sensitivity_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="progress",
            name="token",
            field=models.CharField(
                blank=True, default="", editable=False, max_length=64, verbose_name="提交标识"
            ),
        ),
        migrations.AddConstraint(
            model_name="progress",
            constraint=models.UniqueConstraint(
                condition=models.Q(("token", ""), _negated=True),
                fields=("measure", "token"),
                name="progress_token_once_per_measure",
            ),
        ),
    ]
