"""The legal clock's data: the dates administrators declare off or working (``calendar_days``),
combined with the shipped schedules into ``kit.calendar.WorkingCalendar``."""
