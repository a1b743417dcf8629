"""pyperformance json_loads, reduced size."""
import json
import sys

from _pyperformance import load

if __name__ == "__main__":
    mod = load("json_loads")
    objs = (json.dumps(mod.DICT), json.dumps(mod.TUPLE), json.dumps(mod.DICT_GROUP))
    for _ in range(int(sys.argv[1])):
        mod.bench_json_loads(objs)
