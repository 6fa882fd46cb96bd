"""Protocol prerequisites move to the treatment app: Django forgets them here, the tables stay (treatment/0001)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0002_protocol_prerequisites'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='HistoricalProtocolPrerequisite'),
                migrations.DeleteModel(name='ProtocolPrerequisite'),
            ],
        ),
    ]
