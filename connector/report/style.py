"""The HTML report's stylesheet, inlined into the page: system fonts, print-friendly, no assets."""

from __future__ import annotations

STYLE = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --paper: #ffffff;
  --wash: #f5f7fa; --sf: #0b75c9; --hs: #ff7a59; --warn: #b44d12; --ok: #2f7d32; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--wash); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
header { background: var(--ink); color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header p { margin: 0; color: #cbd2d9; font-size: 13px; }
main { max-width: 1120px; margin: 0 auto; padding: 20px 24px 40px; }
section { background: var(--paper); border: 1px solid var(--line); border-radius: 8px;
  padding: 16px 20px; margin: 0 0 18px; }
h2 { font-size: 17px; margin: 0 0 10px; }
h3 { font-size: 14px; margin: 16px 0 6px; color: var(--muted); font-weight: 600; }
p.note { color: var(--muted); margin: 4px 0 10px; font-size: 13px; }
.notices { border-color: #f0b429; background: #fffbea; }
.notices ul { margin: 0; padding-left: 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px;
  margin: 0 0 18px; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 8px;
  padding: 12px 14px; }
.card .value { font-size: 24px; font-weight: 650; }
.card .what { color: var(--muted); font-size: 12px; }
.card.bad .value { color: var(--warn); }
.card.good .value { color: var(--ok); }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(430px, 1fr)); gap: 16px; }
.pair h3 { margin-top: 0; }
.chart { max-width: 100%; height: auto; display: block; }
.chart .label { fill: var(--ink); }
.chart .count { fill: var(--muted); font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 4px; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { color: var(--muted); font-weight: 600; background: var(--wash); }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.empty { color: var(--muted); font-style: italic; }
.tag { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 12px;
  white-space: nowrap;
  background: var(--wash); border: 1px solid var(--line); }
.tag.late, .tag.waiting, .tag.overdue { background: #ffe8d9; border-color: #f9c7a8;
  color: var(--warn); }
.sf { color: var(--sf); } .hs { color: var(--hs); }
code { font-size: 12px; background: var(--wash); padding: 0 3px; border-radius: 3px; }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 10px; }
@media print { body { background: #fff; } section, .card { break-inside: avoid; } }
"""
