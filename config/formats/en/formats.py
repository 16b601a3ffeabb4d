"""English formats for survivors' pages: day before month, spelled-out
months, and 12-hour times as Django writes them ("3:30 p.m."; US and UK readers
both read "3 March 2026")."""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, P"
SHORT_DATETIME_FORMAT = "j M, P"
TIME_FORMAT = "P"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
