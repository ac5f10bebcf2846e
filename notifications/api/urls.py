from rest_framework.routers import SimpleRouter

from notifications.api.views import ChannelApi, DeliveryApi, NotificationApi, SubscriptionApi

router = SimpleRouter()
router.register("notifications", NotificationApi, basename="notification")
router.register("subscriptions", SubscriptionApi, basename="subscription")
router.register("channels", ChannelApi, basename="channel")
router.register("deliveries", DeliveryApi, basename="delivery")

urlpatterns = router.urls
