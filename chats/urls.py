from django.urls import path

from chats import views

urlpatterns = [
    path("", views.chat_list_page, name="chat-list"),
    path("new/", views.new_chat_page, name="chat-new"),
    path("sidebar/", views.chat_groups_fragment, name="chat-groups"),
    path("<int:chat_id>/", views.chat_detail_page, name="chat-detail"),
    path("<int:chat_id>/send/", views.send_message_page, name="chat-send"),
    path("<int:chat_id>/rename/", views.rename_chat_page, name="chat-rename"),
    path("<int:chat_id>/delete/", views.delete_chat_page, name="chat-delete"),
    path("<int:chat_id>/files/", views.chat_files_page, name="chat-files"),
    path("<int:chat_id>/messages/", views.messages_fragment, name="chat-messages"),
    path("<int:chat_id>/attachments/", views.attachments_fragment, name="chat-attachments"),
    path("<int:chat_id>/pin/", views.chat_flag_page, {"flag": "pinned"}, name="chat-pin"),
    path("<int:chat_id>/archive/", views.chat_flag_page, {"flag": "archived"}, name="chat-archive"),
    path("<int:chat_id>/branch/", views.branch_page, name="chat-branch"),
    path("<int:chat_id>/model/", views.chat_model_page, name="chat-model"),
    path(
        "<int:chat_id>/messages/<int:message_id>/edit/",
        views.edit_message_page,
        name="chat-message-edit",
    ),
    path(
        "<int:chat_id>/messages/<int:message_id>/regenerate/",
        views.regenerate_page,
        name="chat-message-regenerate",
    ),
]
