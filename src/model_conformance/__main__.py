from model_conformance.cli import main

if __name__ == "__main__":
    main()
