"""URLs of the inbox and the reminder settings (namespace ``inbox``)."""


app_name = "inbox"

urlpatterns: list = []
