# parbench: two commands on a fresh machine.
#   make study   installs into .venv and runs the default local study, ending in the report
#   make test    installs into .venv and runs the test suite
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all
# Extras installed into .venv; `make install EXTRAS=workflow,test` leaves out the MPICH wheel, for
# an mpi4py built against the site's MPI (README).
EXTRAS ?= workflow,test,mpich

.PHONY: study test lint install constraints schema clean mutants

$(STAMP): pyproject.toml envs/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c envs/constraints.txt -e '.[$(EXTRAS)]'
	touch $@

install: $(STAMP)

study: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/snakemake --cores $(CORES)
	@echo "report: results/report/index.html"

test: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check scripts tests benchmarks examples
	$(BIN)/ruff format --check scripts tests benchmarks examples
	$(BIN)/snakefmt --check workflow
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/snakemake --lint

# The config schema, generated from the registry (tests/test_workflow_config.py checks it is current).
schema: $(STAMP)
	$(BIN)/python -m parbench.planning.schema > workflow/schemas/config.schema.yaml

constraints: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^parbench' > envs/constraints.txt

clean:
	rm -rf results logs .snakemake

# Mutation testing of the numerical core (docs/mutation.md). Long: not part of `make test`.
# MODULES=scripts/parbench/results/verify.py limits it to some modules; LANES=1 to one core;
# SURVIVORS=1 re-tests only the mutants that survived each module's last run.
MODULES ?=
LANES ?= 2
SURVIVORS ?=
mutants: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python tests/mutation/mutants.py --lanes $(LANES) \
		$(if $(SURVIVORS),--survivors) $(MODULES)
