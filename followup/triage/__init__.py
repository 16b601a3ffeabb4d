"""Triage: what the nurses read and do about the flags.

queue          the queue read (ORM definition and PostgreSQL statement)
rows           what a queue page holds, and the durations its pages print
actions        the nurse's actions: claim, contact, notes, resolve, calls
reads          a flag or survivor of hers, the call lists, the dashboard
flag_page      the flag page (flag_page_sql: its PostgreSQL statement)
survivor_list  the survivors page
"""
