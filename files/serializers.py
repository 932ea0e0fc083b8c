"""The JSON shape of a user's file, the same in the API and in live events."""

from rest_framework import serializers

from files.models import FileChunk, UserFile


class UserFileSerializer(serializers.ModelSerializer[UserFile]):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = UserFile
        fields = [
            "id",
            "name",
            "size",
            "kind",
            "content_type",
            "sha256",
            "status",
            "error",
            "page_count",
            "row_count",
            "text_chars",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, file: UserFile) -> str:
        return f"/api/files/{file.pk}/download/"


class FileChunkSerializer(serializers.ModelSerializer[FileChunk]):
    class Meta:
        model = FileChunk
        fields = ["index", "text"]
        read_only_fields = fields
