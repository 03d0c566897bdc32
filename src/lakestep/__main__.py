from lakestep.cli import main

main()
