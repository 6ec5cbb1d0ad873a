from narratives.cli import main

main()
