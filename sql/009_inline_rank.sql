-- 009: let severity_rank() be inlined.
--
-- A SET clause on a SQL function stops the planner from inlining it, so
-- every call paid a function call and a settings save and restore; the
-- dashboard sorts on it thousands of times per view. The body names no
-- table, function or type (a CASE over literals), so a fixed search_path
-- guards nothing here.
ALTER FUNCTION severity_rank(text) RESET ALL;
