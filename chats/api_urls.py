from django.urls import path
from rest_framework.routers import SimpleRouter

from chats.api import ChatViewSet, MessageViewSet, ModelListView

router = SimpleRouter(use_regex_path=False)
router.register("chats", ChatViewSet, basename="api-chat")

messages = MessageViewSet.as_view({"get": "list", "post": "create"})
message_detail = MessageViewSet.as_view({"get": "retrieve"})
message_action = {
    name: MessageViewSet.as_view({"post": name})
    for name in ("edit", "stop", "regenerate", "feedback")
}

urlpatterns = [
    *router.urls,
    path("models/", ModelListView.as_view(), name="api-models"),
    path("chats/<int:chat_pk>/messages/", messages, name="api-chat-messages"),
    path("chats/<int:chat_pk>/messages/<int:pk>/", message_detail, name="api-chat-message"),
    *[
        path(f"chats/<int:chat_pk>/messages/<int:pk>/{name}/", view, name=f"api-message-{name}")
        for name, view in message_action.items()
    ],
]
