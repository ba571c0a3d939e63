# One entry point for everything: each target creates .venv when missing and installs the
# project into it, so a fresh clone needs nothing but `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Xvfb (for make screenshot); the xcb libraries Qt needs come from packaging/qt-system-libs.sh.
XVFB_PKGS := xvfb xauth

.PHONY: setup run test test-all lint format bench screenshot samples weights int8 clean dist

setup: $(STAMP)

# The last step installs the MTCNN face detector, weights inside its wheel (engine/faces.py,
# docs/FACES.md). facenet-pytorch 2.6.0 pins torch<2.3, numpy<2 and Pillow<10.3, none of which it
# needs: with its pins pip would replace torch, hence --no-deps (the one import it needs beyond
# ours, requests, is a project dependency). Without it, face detection falls back to Haar.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps 'facenet-pytorch==2.6.0'
	touch $(STAMP)

# Opens the viewer; on a machine with no display, analyses the samples headless instead. On X11
# the system libraries Qt's xcb plugin needs are installed first when missing (Debian/Ubuntu), or
# the one command that would install them is printed.
run: $(STAMP)
	@if [ -n "$$DISPLAY" ] && { [ -z "$$QT_QPA_PLATFORM" ] || [ "$$QT_QPA_PLATFORM" = xcb ]; }; then \
		bash packaging/qt-system-libs.sh $(BIN)/python || exit 1; \
	fi
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || [ -n "$$QT_QPA_PLATFORM" ]; then \
		$(BIN)/forensic-viewer resources/samples; \
	else \
		echo "no display: analysing the samples headless (results in out/samples)"; \
		$(BIN)/forensic-viewer analyze resources/samples/*.jpg --out out/samples; \
	fi

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ''

lint: $(STAMP)
	$(BIN)/ruff check engine trainer forensic_viewer tests bench packaging
	$(BIN)/ruff format --check engine trainer forensic_viewer tests bench packaging
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format engine trainer forensic_viewer tests bench packaging
	$(BIN)/ruff check --fix engine trainer forensic_viewer tests bench packaging

bench: $(STAMP)
	$(BIN)/python -m bench

# A real window under Xvfb (Debian's xvfb is installed when missing), saved to docs/screenshot.png.
screenshot: $(STAMP)
	dpkg -s $(XVFB_PKGS) >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq $(XVFB_PKGS))
	bash packaging/qt-system-libs.sh $(BIN)/python
	env -u QT_QPA_PLATFORM xvfb-run -a -s "-screen 0 1600x1000x24" $(BIN)/python -m forensic_viewer.gui.screenshot docs/screenshot.png

# Regenerate the bundled sample images (the project's own synthetic forgeries + masks).
samples: $(STAMP)
	$(BIN)/python packaging/make_samples.py

# Retrain the bundled models and their ensemble from a data folder (hours on a CPU; each
# recipe resumes when run again): make weights DATA=../shared/data/casia1-dev
# One model only: make weights DATA=... MODELS=m2f-swin-nano FACE_MODELS=
# The face model comes after the ensemble: it is fine-tuned from diffforensics-effl0 and sets
# the default ensemble's face rule (it reads faces-real and camera-photos beside DATA; the
# ensemble's verdict step reads the same camera-photos, or PHOTOS=DIR for both).
MODELS ?= crfd-net-compact m2f-swin-nano m2f-effl0 diffforensics-effl0
FACE_MODELS ?= diffforensics-faces
weights: $(STAMP)
	@test -n "$(DATA)" || { echo "make weights: set DATA to a Tp/Gt/Au folder, e.g. DATA=../shared/data/casia1-dev"; exit 2; }
	for m in $(MODELS); do DATA=$(DATA) PY=$(BIN)/python bash packaging/recipes/$$m.sh || exit 1; done
	DATA=$(DATA) PY=$(BIN)/python FACE_MODELS="$(FACE_MODELS)" bash packaging/recipes/bundled-ensemble.sh
	for m in $(FACE_MODELS); do DATA=$(DATA) PY=$(BIN)/python bash packaging/recipes/$$m.sh || exit 1; done
	$(MAKE) int8 DATA=$(DATA)
	$(BIN)/python packaging/casia_images.py $(DATA)

# The int8 OpenVINO models the fast path runs (engine/runtime.py), made from the bundled
# checkpoints with NNCF on CASIA's training part (trainer/quantize.py, minutes per network):
# make int8 DATA=../shared/data/casia1-dev. Only networks whose int8 model kept the accuracy
# bound on CASIA validation (docs/BENCHMARKS.md, int8) are listed.
INT8_MODELS ?= crfd-net-compact
int8: $(STAMP)
	@test -n "$(DATA)" || { echo "make int8: set DATA to a Tp/Gt/Au folder, e.g. DATA=../shared/data/casia1-dev"; exit 2; }
	$(BIN)/python -m trainer.quantize --data $(DATA) $(foreach m,$(INT8_MODELS),--model resources/models/$(m).safetensors)

# The frozen one-folder build dist/forensic-viewer/ (viewer, forensic-train, bundled models and
# samples; no Python needed) and its tarball with install.sh / uninstall.sh: packaging/README.md.
dist: $(STAMP)
	PY=$(BIN)/python bash packaging/dist/build.sh

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
