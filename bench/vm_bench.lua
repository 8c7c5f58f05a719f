-- The B2B rules and transitions of bench/vm_b2b.flow in plain Lua 5.4 tables, on the
-- event stream of bench/vm_bench.c (same LCG, same distribution). Generation runs in
-- chunks outside the timed part; only processing is timed.
-- usage: lua5.4 vm_bench.lua EVENTS CONTACTS
-- prints: seconds lead mql sql opportunity customer lost score truths
local N = math.tointeger(tonumber(arg[1]) or 1000000)
local NC = math.tointeger(tonumber(arg[2]) or 100000)
local T0, SPAN = 1767225600, 182 * 86400
local PAGE_VIEW, EMAIL_OPENED, EMAIL_REPLIED, FORM, DEMO, SALES_CONTACTED, DEAL, PURCHASE, UNSUB = 0, 1, 2, 3, 4, 5, 6, 7, 8
local LEAD, MQL, SQL, OPPORTUNITY, CUSTOMER, LOST = 0, 1, 2, 3, 4, 5
local urls = { [0] = "/pricing/enterprise", "/blog/post", "/home" }

local state = 42
local function lcg()
  state = state * 6364136223846793005 + 1442695040888963407
  return (state >> 33) & 0xffffffff
end

local contacts = {}
local truths = 0
local clock = os.clock
local busy = 0.0
local CHUNK = 100000
local at_, c_, t_, u_ = {}, {}, {}, {}

local i = 0
while i < N do
  local m = math.min(CHUNK, N - i)
  for j = 1, m do
    local k = i + j - 1
    -- same integer arithmetic as C: (k * SPAN) // N fits in 64 bits for these sizes
    at_[j] = T0 + (k * SPAN) // N
    c_[j] = lcg() % NC
    local r = lcg()
    local kind = r % 1000
    u_[j] = (r // 1000) % 3
    local t
    if kind < 400 then t = PAGE_VIEW elseif kind < 600 then t = EMAIL_OPENED elseif kind < 680 then t = EMAIL_REPLIED
    elseif kind < 780 then t = FORM elseif kind < 830 then t = DEMO elseif kind < 870 then t = SALES_CONTACTED
    elseif kind < 910 then t = DEAL elseif kind < 997 then t = PURCHASE else t = UNSUB end
    t_[j] = t
  end
  local t0 = clock()
  for j = 1, m do
    local at, id, ty = at_[j], c_[j], t_[j]
    local c = contacts[id]
    if not c then
      c = { score = 0, consent = (id % 3 ~= 0), state = LEAD, pricing = {}, n = 0, head = 0, truth = false }
      contacts[id] = c
    end
    if c.truth then
      local still, p = 0, c.pricing
      for q = 0, c.n - 1 do if p[q] > at - 7 * 86400 then still = still + 1 end end
      if still < 3 then c.truth = false end
    end
    if ty == PAGE_VIEW then
      if string.sub(urls[u_[j]], 1, 8) == "/pricing" then
        c.score = c.score + 5
        local p = c.pricing
        if c.n < 3 then p[(c.head + c.n) % 3] = at; c.n = c.n + 1
        else p[c.head] = at; c.head = (c.head + 1) % 3 end
      end
    elseif ty == FORM or ty == EMAIL_REPLIED then c.score = c.score + 10
    elseif ty == DEMO then c.score = c.score + 30
    elseif ty == UNSUB then c.consent = false end
    local inw = 0
    local p = c.pricing
    for q = 0, c.n - 1 do if p[q] > at - 7 * 86400 then inw = inw + 1 end end
    local truth = inw >= 3
    if truth and not c.truth then truths = truths + 1 end
    c.truth = truth
    local visited = 1 << c.state
    while true do
      local s, to = c.state, nil
      if s == LEAD and (c.score >= 40 or truth) then to = MQL
      elseif s == MQL and ty == DEMO then to = SQL
      elseif s == SQL and ty == DEAL then to = OPPORTUNITY
      elseif s == OPPORTUNITY and ty == PURCHASE then to = CUSTOMER end
      if (to == nil or visited & (1 << to) ~= 0) and s ~= CUSTOMER and s ~= LOST and ty == UNSUB and visited & (1 << LOST) == 0 then to = LOST end
      if to == nil or visited & (1 << to) ~= 0 then break end
      c.state = to
      visited = visited | (1 << to)
    end
  end
  busy = busy + (clock() - t0)
  i = i + m
end

local counts = { [0] = 0, 0, 0, 0, 0, 0 }
local score = 0
for _, c in pairs(contacts) do
  counts[c.state] = counts[c.state] + 1
  score = score + c.score
end
print(string.format("%.6f %d %d %d %d %d %d %d %d", busy, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], score, truths))
