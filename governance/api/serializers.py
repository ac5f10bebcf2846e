from rest_framework import serializers


class AuditEventOutputSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_username")
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    target_label = serializers.CharField()
    changes = serializers.DictField()
    request_id = serializers.CharField()
    ip = serializers.CharField(allow_null=True)
    user_agent = serializers.CharField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


class ProblemOutputSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="event_altered, link_broken, events_missing, tail_deleted, table_truncated, "
        "forged_append, chain_rewritten, checkpoint_missing, checkpoint_reordered, "
        "checkpoint_forged, checkpoint_log_missing"
    )
    message = serializers.CharField()
    sequence = serializers.IntegerField(allow_null=True)


class CheckpointOutputSerializer(serializers.Serializer):
    checkpoint = serializers.IntegerField()
    sequence = serializers.IntegerField()
    head_hash = serializers.CharField()
    at = serializers.CharField()


class VerificationRunOutputSerializer(serializers.Serializer):
    ran_at = serializers.DateTimeField()
    trigger = serializers.CharField()
    intact = serializers.BooleanField()
    code = serializers.CharField()


class ChainReportOutputSerializer(serializers.Serializer):
    intact = serializers.BooleanField()
    checked = serializers.IntegerField()
    first_bad_sequence = serializers.IntegerField(allow_null=True)
    code = serializers.CharField()
    problem = serializers.CharField()
    problems = ProblemOutputSerializer(many=True)
    head_sequence = serializers.IntegerField()
    head_hash = serializers.CharField()
    checkpoints_checked = serializers.IntegerField()
    last_checkpoint = CheckpointOutputSerializer(allow_null=True)
    last_verification = VerificationRunOutputSerializer(allow_null=True)


class TokenOutputSerializer(serializers.Serializer):
    token_key = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    expired = serializers.BooleanField(
        default=False, help_text="Past its expiry: refused until revoked and replaced."
    )


class TokenCreatedOutputSerializer(TokenOutputSerializer):
    token = serializers.CharField(help_text="Shown once; only its hash is stored.")


class MeOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
