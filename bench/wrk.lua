-- bench/wrk.lua: the one wrk script of bench/run.
--
-- Environment (set by bench/run):
--   BENCH_BODY    a form body file holding "@SID@" once: every request is a
--                 POST of it with a fresh UUIDv4 in place of @SID@, and a
--                 patient drawn from BENCH_PATIENTS in place of @GIVEN@,
--                 @FAMILY@ and @DOB@ (already form-encoded there).
--                 Unset: plain GETs of the URL given to wrk.
--   BENCH_PATIENTS one patient a line: given|family|dob
--   BENCH_TOKENS  with BENCH_BODY: each thread appends the receipt token of
--                 every 303 (the last path segment of its Location) to
--                 BENCH_TOKENS.<thread>, one a line, for the row check.
--   BENCH_WANT    the status that counts as a success (303 for POST, else 200)
--
-- At the end, one line wrk's own output cannot be confused with:
--   BENCH requests=N ok=N other=N duration_us=N p50_us=N p90_us=N p99_us=N
--         max_us=N err_connect=N err_read=N err_write=N err_timeout=N
--         status=CODE:COUNT,...
local threads = {}
local nthreads = 0

function setup(thread)
   thread:set("tid", nthreads)
   nthreads = nthreads + 1
   table.insert(threads, thread)
end

local parts, slots, patients, tokf
local want = tonumber(os.getenv("BENCH_WANT") or "") or 200
ok, other = 0, 0
counts = {}           -- status -> responses (thread:get copies tables)

local function seed()
   local f = io.open("/dev/urandom", "rb")
   local s = f:read(6)
   f:close()
   local v = 0
   for i = 1, #s do v = v * 256 + s:byte(i) end
   math.randomseed(v)
   -- LuaJIT's generator wants a few draws to forget a close seed
   for _ = 1, 20 do math.random() end
end

local function uuid4()
   local r = math.random
   return string.format("%08x-%04x-4%03x-%04x-%04x%08x",
      r(0, 0xffffffff), r(0, 0xffff), r(0, 0xfff),
      0x8000 + r(0, 0x3fff), r(0, 0xffff), r(0, 0xffffffff))
end

function init(args)
   seed()
   local path = os.getenv("BENCH_BODY")
   if path and path ~= "" then
      local f = assert(io.open(path, "rb"))
      local t = f:read("*a")
      f:close()
      -- the template cut at its placeholders: parts[k] is text, or the
      -- name of what goes there (slots[k] true)
      parts, slots = {}, {}
      local at = 1
      while true do
         local i, j, name = t:find("@(%u+)@", at)
         if not i then break end
         parts[#parts + 1] = t:sub(at, i - 1)
         parts[#parts + 1] = name
         slots[#parts] = true
         at = j + 1
      end
      parts[#parts + 1] = t:sub(at)
      patients = {}
      local pf = os.getenv("BENCH_PATIENTS")
      if pf and pf ~= "" then
         for line in io.lines(pf) do
            local g, f, d = line:match("^([^|]*)|([^|]*)|([^|]*)$")
            if g then patients[#patients + 1] = { GIVEN = g, FAMILY = f, DOB = d } end
         end
      end
      wrk.method = "POST"
      wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
      wrk.headers["Accept"] = "text/html"
      local tp = os.getenv("BENCH_TOKENS")
      if tp and tp ~= "" then
         tokf = assert(io.open(tp .. "." .. tid, "w"))
      end
   end
end

local out = {}

function request()
   if parts then
      local p = patients[math.random(1, math.max(#patients, 1))] or {}
      for k = 1, #parts do
         if slots[k] then
            local name = parts[k]
            out[k] = name == "SID" and uuid4() or p[name] or ""
         else
            out[k] = parts[k]
         end
      end
      return wrk.format(nil, nil, nil, table.concat(out, "", 1, #parts))
   end
   return wrk.format()
end

function response(status, headers, body)
   counts[status] = (counts[status] or 0) + 1
   if status == want then
      ok = ok + 1
      if tokf then
         local loc = headers["Location"] or headers["location"] or ""
         tokf:write(loc:match("([^/]+)$") or "", "\n")
      end
   else
      other = other + 1
   end
   if tokf and (ok + other) % 256 == 0 then tokf:flush() end
end

function done(summary, latency, requests)
   local n_ok, n_other = 0, 0
   local all = {}
   for _, t in ipairs(threads) do
      n_ok = n_ok + (t:get("ok") or 0)
      n_other = n_other + (t:get("other") or 0)
      for k, v in pairs(t:get("counts") or {}) do
         all[k] = (all[k] or 0) + v
      end
   end
   local parts = {}
   for k, v in pairs(all) do parts[#parts + 1] = k .. ":" .. v end
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d ok=%d other=%d duration_us=%d p50_us=%d p90_us=%d " ..
      "p99_us=%d max_us=%d err_connect=%d err_read=%d err_write=%d " ..
      "err_timeout=%d status=%s\n",
      summary.requests, n_ok, n_other, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, e.connect, e.read, e.write, e.timeout,
      table.concat(parts, ",")))
end
