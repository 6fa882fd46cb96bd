"""Move the treatment-plan models here from patients and scheduling, without touching a table.

The tables keep their names (``patients_order``, ``scheduling_protocolprerequisite`` and their
history tables), so this migration and the ``patients``/``scheduling`` migrations that drop the
models from their old apps change Django's state only. The content types (and so the permissions
the roles hold) are relabelled from the old apps to ``treatment``.
"""

import django.contrib.postgres.fields
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

MOVED = {
    "patients": ["order", "priorauthorization", "prerequisitedocument",
                 "historicalorder", "historicalpriorauthorization", "historicalprerequisitedocument"],
    "scheduling": ["protocolprerequisite", "historicalprotocolprerequisite"],
}


def relabel_content_types(apps, schema_editor, *, backwards=False):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for old_app, models_ in MOVED.items():
        source, target = ("treatment", old_app) if backwards else (old_app, "treatment")
        for model in models_:
            if ContentType.objects.using(db).filter(app_label=target, model=model).exists():
                continue
            ContentType.objects.using(db).filter(app_label=source, model=model).update(app_label=target)


def relabel_back(apps, schema_editor):
    relabel_content_types(apps, schema_editor, backwards=True)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('patients', '0003_move_treatment_plans_to_treatment'),
        ('scheduling', '0003_move_protocol_prerequisites_to_treatment'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='HistoricalOrder',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('ordering_provider', models.CharField(max_length=120)),
                        ('dose_count', models.PositiveSmallIntegerField(blank=True, help_text='Leave blank for an open-ended order.', null=True, verbose_name='number of doses')),
                        ('first_dose_number', models.PositiveSmallIntegerField(default=1, help_text='The series dose number this order starts at (e.g. 7 for a renewal after dose 6).')),
                        ('start_date', models.DateField()),
                        ('valid_until', models.DateField(blank=True, help_text='Leave blank if the order does not expire.', null=True)),
                        ('is_active', models.BooleanField(default=True, help_text='Clear when the order is discontinued.')),
                        ('notes', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(blank=True, editable=False)),
                        ('updated_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('patient', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient')),
                        ('protocol', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='scheduling.protocol')),
                    ],
                    options={
                        'db_table': 'patients_historicalorder',
                        'verbose_name': 'historical order',
                        'verbose_name_plural': 'historical orders',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalPrerequisiteDocument',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('mri', 'MRI'), ('amyloid', 'Amyloid confirmation (PET or CSF)'), ('apoe4', 'ApoE ε4 test'), ('meningococcal_vaccine', 'Meningococcal vaccination (ACWY + B)'), ('hepatitis_b', 'Hepatitis B screening'), ('tuberculosis', 'Tuberculosis screening'), ('immunoglobulins', 'Serum immunoglobulins'), ('liver_tests', 'Liver function tests'), ('rems_enrollment', 'REMS enrollment'), ('rems_checklist', 'REMS pre-infusion checklist'), ('pregnancy_test', 'Pregnancy test'), ('other', 'Other lab or screening')], max_length=32)),
                        ('performed_on', models.DateField(help_text='When it was done, or is scheduled.')),
                        ('result', models.CharField(choices=[('pending', 'Scheduled / result pending'), ('acceptable', 'Done, acceptable'), ('abnormal', 'Done, needs review')], default='acceptable', max_length=12)),
                        ('notes', models.TextField(blank=True, verbose_name='result / notes')),
                        ('recorded_at', models.DateTimeField(blank=True, editable=False)),
                        ('updated_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('patient', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient')),
                        ('recorded_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'patients_historicalprerequisitedocument',
                        'verbose_name': 'historical prerequisite document',
                        'verbose_name_plural': 'historical prerequisite documents',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Order',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('ordering_provider', models.CharField(max_length=120)),
                        ('dose_count', models.PositiveSmallIntegerField(blank=True, help_text='Leave blank for an open-ended order.', null=True, verbose_name='number of doses')),
                        ('first_dose_number', models.PositiveSmallIntegerField(default=1, help_text='The series dose number this order starts at (e.g. 7 for a renewal after dose 6).')),
                        ('start_date', models.DateField()),
                        ('valid_until', models.DateField(blank=True, help_text='Leave blank if the order does not expire.', null=True)),
                        ('is_active', models.BooleanField(default=True, help_text='Clear when the order is discontinued.')),
                        ('notes', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='patients.patient')),
                        ('protocol', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='scheduling.protocol')),
                    ],
                    options={
                        'db_table': 'patients_order',
                        'ordering': ['-start_date', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalPriorAuthorization',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('payer', models.CharField(max_length=120)),
                        ('reference_number', models.CharField(blank=True, max_length=64)),
                        ('status', models.CharField(choices=[('not_required', 'Not required'), ('pending', 'Pending'), ('approved', 'Approved'), ('denied', 'Denied'), ('expired', 'Expired')], default='pending', max_length=16)),
                        ('approved_from', models.DateField(blank=True, null=True)),
                        ('approved_until', models.DateField(blank=True, null=True)),
                        ('approved_visits', models.PositiveSmallIntegerField(blank=True, help_text='Visits the payer approved; blank for no limit.', null=True)),
                        ('notes', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(blank=True, editable=False)),
                        ('updated_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('patient', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient')),
                        ('order', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='treatment.order')),
                    ],
                    options={
                        'db_table': 'patients_historicalpriorauthorization',
                        'verbose_name': 'historical prior authorization',
                        'verbose_name_plural': 'historical prior authorizations',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='PrerequisiteDocument',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('mri', 'MRI'), ('amyloid', 'Amyloid confirmation (PET or CSF)'), ('apoe4', 'ApoE ε4 test'), ('meningococcal_vaccine', 'Meningococcal vaccination (ACWY + B)'), ('hepatitis_b', 'Hepatitis B screening'), ('tuberculosis', 'Tuberculosis screening'), ('immunoglobulins', 'Serum immunoglobulins'), ('liver_tests', 'Liver function tests'), ('rems_enrollment', 'REMS enrollment'), ('rems_checklist', 'REMS pre-infusion checklist'), ('pregnancy_test', 'Pregnancy test'), ('other', 'Other lab or screening')], max_length=32)),
                        ('performed_on', models.DateField(help_text='When it was done, or is scheduled.')),
                        ('result', models.CharField(choices=[('pending', 'Scheduled / result pending'), ('acceptable', 'Done, acceptable'), ('abnormal', 'Done, needs review')], default='acceptable', max_length=12)),
                        ('notes', models.TextField(blank=True, verbose_name='result / notes')),
                        ('recorded_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='prerequisite_documents', to='patients.patient')),
                        ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'patients_prerequisitedocument',
                        'ordering': ['-performed_on', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='PriorAuthorization',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('payer', models.CharField(max_length=120)),
                        ('reference_number', models.CharField(blank=True, max_length=64)),
                        ('status', models.CharField(choices=[('not_required', 'Not required'), ('pending', 'Pending'), ('approved', 'Approved'), ('denied', 'Denied'), ('expired', 'Expired')], default='pending', max_length=16)),
                        ('approved_from', models.DateField(blank=True, null=True)),
                        ('approved_until', models.DateField(blank=True, null=True)),
                        ('approved_visits', models.PositiveSmallIntegerField(blank=True, help_text='Visits the payer approved; blank for no limit.', null=True)),
                        ('notes', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='authorizations', to='treatment.order')),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='authorizations', to='patients.patient')),
                    ],
                    options={
                        'db_table': 'patients_priorauthorization',
                        'ordering': ['-approved_until', '-pk'],
                    },
                ),
                migrations.AddIndex(
                    model_name='order',
                    index=models.Index(fields=['patient', 'protocol'], name='patients_or_patient_cdc908_idx'),
                ),
                migrations.AddConstraint(
                    model_name='order',
                    constraint=models.CheckConstraint(condition=models.Q(('valid_until__isnull', True), ('valid_until__gte', models.F('start_date')), _connector='OR'), name='order_valid_after_start'),
                ),
                migrations.AddConstraint(
                    model_name='order',
                    constraint=models.CheckConstraint(condition=models.Q(('first_dose_number__gte', 1)), name='order_first_dose_positive'),
                ),
                migrations.AddIndex(
                    model_name='prerequisitedocument',
                    index=models.Index(fields=['patient', 'kind'], name='patients_pr_patient_6e4c2c_idx'),
                ),
                migrations.CreateModel(
                    name='HistoricalProtocolPrerequisite',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('mri', 'MRI'), ('amyloid', 'Amyloid confirmation (PET or CSF)'), ('apoe4', 'ApoE ε4 test'), ('meningococcal_vaccine', 'Meningococcal vaccination (ACWY + B)'), ('hepatitis_b', 'Hepatitis B screening'), ('tuberculosis', 'Tuberculosis screening'), ('immunoglobulins', 'Serum immunoglobulins'), ('liver_tests', 'Liver function tests'), ('rems_enrollment', 'REMS enrollment'), ('rems_checklist', 'REMS pre-infusion checklist'), ('pregnancy_test', 'Pregnancy test'), ('other', 'Other lab or screening')], max_length=32, verbose_name='document')),
                        ('applies_to', models.CharField(choices=[('every', 'Every dose'), ('first', 'First dose'), ('listed', 'Listed doses')], default='first', max_length=8)),
                        ('dose_numbers', django.contrib.postgres.fields.ArrayField(base_field=models.PositiveSmallIntegerField(), blank=True, default=list, help_text='For listed doses: the dose numbers, e.g. 3,5,7,14.', size=None)),
                        ('window_days', models.PositiveSmallIntegerField(blank=True, help_text='Done within this many days before the dose (0 = on the day).', null=True)),
                        ('min_days_before', models.PositiveSmallIntegerField(blank=True, help_text='Done at least this many days before the dose.', null=True)),
                        ('notes', models.TextField(blank=True, help_text='Source, e.g. the prescribing information.')),
                        ('is_active', models.BooleanField(default=True)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('protocol', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='scheduling.protocol')),
                    ],
                    options={
                        'db_table': 'scheduling_historicalprotocolprerequisite',
                        'verbose_name': 'historical protocol prerequisite',
                        'verbose_name_plural': 'historical protocol prerequisites',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='ProtocolPrerequisite',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('mri', 'MRI'), ('amyloid', 'Amyloid confirmation (PET or CSF)'), ('apoe4', 'ApoE ε4 test'), ('meningococcal_vaccine', 'Meningococcal vaccination (ACWY + B)'), ('hepatitis_b', 'Hepatitis B screening'), ('tuberculosis', 'Tuberculosis screening'), ('immunoglobulins', 'Serum immunoglobulins'), ('liver_tests', 'Liver function tests'), ('rems_enrollment', 'REMS enrollment'), ('rems_checklist', 'REMS pre-infusion checklist'), ('pregnancy_test', 'Pregnancy test'), ('other', 'Other lab or screening')], max_length=32, verbose_name='document')),
                        ('applies_to', models.CharField(choices=[('every', 'Every dose'), ('first', 'First dose'), ('listed', 'Listed doses')], default='first', max_length=8)),
                        ('dose_numbers', django.contrib.postgres.fields.ArrayField(base_field=models.PositiveSmallIntegerField(), blank=True, default=list, help_text='For listed doses: the dose numbers, e.g. 3,5,7,14.', size=None)),
                        ('window_days', models.PositiveSmallIntegerField(blank=True, help_text='Done within this many days before the dose (0 = on the day).', null=True)),
                        ('min_days_before', models.PositiveSmallIntegerField(blank=True, help_text='Done at least this many days before the dose.', null=True)),
                        ('notes', models.TextField(blank=True, help_text='Source, e.g. the prescribing information.')),
                        ('is_active', models.BooleanField(default=True)),
                        ('protocol', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='prerequisites', to='scheduling.protocol')),
                    ],
                    options={
                        'db_table': 'scheduling_protocolprerequisite',
                        'ordering': ['protocol', 'kind', 'pk'],
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel_content_types, relabel_back),
    ]
