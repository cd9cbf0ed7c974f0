"""Events the hub publishes after a commit, for subscriptions: a broker interface and channels."""

from hub.events.broker import Broker, BrokerOverflow, InProcessBroker, broker_of
from hub.events.channels import CASE_EVENTS, TASKS_OPENED, case_channel, tasks_channel

__all__ = [
    "CASE_EVENTS",
    "TASKS_OPENED",
    "Broker",
    "BrokerOverflow",
    "InProcessBroker",
    "broker_of",
    "case_channel",
    "tasks_channel",
]
