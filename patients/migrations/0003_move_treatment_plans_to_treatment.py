"""Orders, authorizations and documents move to the treatment app: Django forgets them here, the tables stay (treatment/0001)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0002_treatment_plans'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='HistoricalOrder'),
                migrations.DeleteModel(name='HistoricalPriorAuthorization'),
                migrations.DeleteModel(name='HistoricalPrerequisiteDocument'),
                migrations.DeleteModel(name='PriorAuthorization'),
                migrations.DeleteModel(name='PrerequisiteDocument'),
                migrations.DeleteModel(name='Order'),
            ],
        ),
    ]
