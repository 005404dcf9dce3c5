from model_conformance.cli import run

if __name__ == "__main__":
    run()
