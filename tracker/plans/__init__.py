"""The follow-up plan (issue 15): between flags, survivorship care is a
schedule. A clinic keeps plan templates; a nurse starts a survivor's plan
from one with her key dates and adds, moves or drops items; each item is
due in a window, and the items roll forward as they are done.

This package is the pure core: plain values in, plain values out, no ORM and
no I/O, so services, the sweep and the pages share one arithmetic and every
case gets a table-driven test without a database.

spec      what a plan is made of: her key dates (Anchors), a template item's
          rhythm (ItemSpec, Phase, Offset), a Template, a due Window
calendar  the date arithmetic: months and month ends, her years, the
          windows over the two-year horizon, rolling forward, whether an
          item is missed, and the UTC instants of her reminders
defaults  the default template, from ASCO's 2013 guidance, with its source
"""
