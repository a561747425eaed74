"""Daily health check-ins (每日健康打卡): personal links, reports and alerts; their API, CLI and the check-in page."""
