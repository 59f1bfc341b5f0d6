"""Random semver cases for the differential test: run
   python3 gen_cases.py | GOFLAGS=-mod=mod go run . > ../random_cases.txt
from tests/unit/semver/oracle to regenerate random_cases.txt with Masterminds v3 answers."""
import random
print("# Random cases; expected fields from Masterminds/semver v3.5.0 (oracle/main.go).")
random.seed(7)
ops=["","=","!=",">","<",">=","=>","<=","=<","~","~>","^"]
nums=["0","1","2","3","10","x","X","*"]
pres=["","-alpha","-beta.1","-0","-rc.2","-1"]
def cv():
    k=random.choice([1,2,3,3,3])
    parts=[random.choice(nums) for _ in range(k)]
    return random.choice(["","","v"])+".".join(parts)+random.choice(pres)+random.choice(["","","+b1"])
def term():
    return random.choice(ops)+random.choice([""," "])+cv()
def group():
    if random.random()<0.15: return cv().lstrip("v")+" - "+cv().lstrip("v")
    n=random.choice([1,1,2,3])
    return random.choice([", "," ",","]).join(term() for _ in range(n))
def cons():
    return " || ".join(group() for _ in range(random.choice([1,1,2])))
def ver():
    k=random.choice([1,2,3,3,3])
    return random.choice(["","v"])+".".join(random.choice(["0","1","2","3","10","01"]) for _ in range(k))+random.choice(pres+["-alpha.01","-a..b"])+random.choice(["","+m"])
for _ in range(3000):
    print("C\t%s\t%s\t?"%(cons(),ver()))
for _ in range(500):
    print("V\t%s\t?"%ver()); print("S\t%s\t?"%ver()); print("N\t%s\t?"%cons())
for _ in range(500):
    a=ver();b=ver()
    print("P\t%s\t%s\t?"%(a.replace("-a..b","").replace("-alpha.01",""),b.replace("-a..b","").replace("-alpha.01","")))
